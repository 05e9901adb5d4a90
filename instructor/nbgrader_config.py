"""nbgrader settings for the exercises (lesson 07), read from the course folder.

`make assignment` copies this folder's source/ and this file into build/course
and runs nbgrader's generate_assignment there, so everything nbgrader writes
stays in build/ (git-ignored). The source of truth is
source/exercises/07_exercises.ipynb.
"""

c = get_config()  # noqa: F821 (nbgrader defines it when it reads this file)

c.CourseDirectory.course_id = "softmax-lab"
# A graded release leaves out the folded worked solutions (cells tagged
# worked-solution); the copy in notebooks/ keeps them for self-study.
c.GenerateAssignment.preprocessors = [
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "nbgrader.preprocessors.InstantiateTests",
    "nbgrader.preprocessors.LockCells",
    "nbgrader.preprocessors.ClearSolutions",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.CheckCellMetadata",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.SaveCells",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.CheckCellMetadata",
    "nbconvert.preprocessors.TagRemovePreprocessor",
]
c.TagRemovePreprocessor.enabled = True
c.TagRemovePreprocessor.remove_cell_tags = {"worked-solution"}
# nbgrader makes the release only. Grading is `make autograde` (grading/, docs/grading.md):
# nbgrader's own autograde runs each submission's code as the instructor, with the
# graded cells in the student's namespace, where a student can redefine the checkers.
