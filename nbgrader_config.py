"""nbgrader configuration for this course (the repository root is the course directory).

`solutions/` is nbgrader's source directory and `notebooks/` its release directory, so
`nbgrader generate_assignment 01-tensors` turns solutions/01-tensors/01-tensors.ipynb into
the student version notebooks/01-tensors/01-tensors.ipynb. `make demo` grades in a copy
of this layout under build/demo with the same configuration.
"""

from course import feedback
from course.layout import COURSE_ID, RELEASE_DIR, SOURCE_DIR, cell_timeout

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = COURSE_ID
c.CourseDirectory.source_directory = SOURCE_DIR
c.CourseDirectory.release_directory = RELEASE_DIR

# What a student sees where an answer goes.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Wall-clock backstop per cell (for code that waits without using CPU); the limit that
# decides a score counts CPU seconds (course/limits.py). Both per assignment in grading.toml.
c.Execute.timeout = cell_timeout(None)
# Each kernel would warn on the console that it talks to the grader over local TCP.
c.Execute.extra_arguments = ["--IPKernelApp.log_level=ERROR"]

# Autograding: the instructor's cells are restored (OverwriteCells), then guard cells make
# the tests compare with the real torch/numpy functions; a dead kernel costs only the cells
# it did not run; stderr output is not a failure, a shown value not a score; huge outputs
# are cut.
P = "nbgrader.preprocessors"
c.Autograde.sanitize_preprocessors = [
    f"{P}.ClearOutput",
    f"{P}.DeduplicateIds",
    f"{P}.OverwriteKernelspec",
    f"{P}.OverwriteCells",
    f"{P}.CheckCellMetadata",
    "course.preprocessors.GuardTests",
]
c.Autograde.autograde_preprocessors = [
    "course.preprocessors.ExecuteSurvivingCrashes",
    f"{P}.IgnorePattern",
    "course.preprocessors.LimitOutputSize",
    f"{P}.LimitOutput",
    "course.preprocessors.PassOrFail",
    f"{P}.SaveAutoGrades",
    f"{P}.AssignLatePenalties",
    f"{P}.CheckCellMetadata",
]

# Feedback goes back to students (course/feedback.py): a summary naming each exercise and
# what failed, visible failures with their tracebacks, no hidden test's source, and math
# as MathML (no MathJax from a CDN: the page works offline).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "course.feedback.RedactHiddenTests",
    "course.feedback.RenderMath",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
c.HTMLExporter.template_file = feedback.TEMPLATE_FILE
c.HTMLExporter.extra_template_basedirs = [str(feedback.TEMPLATES), *feedback.nbgrader_templates()]

# Late work (course/collect.py): due dates from grading.toml's [due] (stored on the
# assignments before autograding), penalties from its [late-penalty].
c.AssignLatePenalties.plugin_class = "course.collect.LatePenalty"

# `make collect ZIP=... LMS=canvas|moodle` runs nbgrader's zip_collect: the zip goes to
# downloaded/<assignment>/archive/, is extracted to .../extracted/, and our collector reads
# the LMS's file names (nbgrader's own matches one regex against the absolute path, and
# needs --force on every rerun: collecting again rewrites only what is newer).
c.ZipCollectApp.downloaded_directory = "downloaded"
c.ZipCollectApp.collector_plugin = "course.collect.LmsCollector"
c.ZipCollectApp.force = True
c.ExtractorPlugin.force = True
