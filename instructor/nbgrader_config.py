"""nbgrader settings for the exercises (lesson 07), read from the course folder.

`make assignment` copies this folder's source/ and this file into build/course
and runs nbgrader there, so the gradebook and everything nbgrader writes stay
in build/ (git-ignored). The source of truth is source/exercises/07_exercises.ipynb.
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
# A submission that loops forever loses that cell's points, not the class's time.
c.Execute.timeout = 30
# Students who hand in are added to the gradebook as they come.
c.Autograde.create_student = True
# A submission whose graded cell was deleted gets the instructor's cell back
# (nbgrader marks it in the feedback), so the deletion costs nothing by itself:
# the restored cell scores what the student's function earns.
c.OverwriteCells.add_missing_cells = True
