"""Placeholder: navigation links, contents and slide metadata (being written)."""


def main(argv):
    return 0
