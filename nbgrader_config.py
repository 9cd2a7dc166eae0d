"""nbgrader configuration for this course (the repository root is the course directory).

`solutions/` is nbgrader's source directory and `notebooks/` its release directory, so
`nbgrader generate_assignment 01-tensors` turns solutions/01-tensors/01-tensors.ipynb into
the student version notebooks/01-tensors/01-tensors.ipynb. `make demo` grades in a copy
of this layout under build/demo with the same configuration.
"""

from course.layout import COURSE_ID, RELEASE_DIR, SOURCE_DIR

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = COURSE_ID
c.CourseDirectory.source_directory = SOURCE_DIR
c.CourseDirectory.release_directory = RELEASE_DIR

# What a student sees where an answer goes.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# nbgrader's default, stated: a cell that runs longer than this scores 0.
c.Execute.timeout = 30

# Feedback goes back to students: it must not show the hidden tests, neither their
# source nor the traceback lines that quote it.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "course.feedback.RedactHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
