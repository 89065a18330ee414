# nbgrader's settings for this course (deepdream/course.py copies this file into a new course folder).
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "deepdream"
# The gradebook: course/gradebook.db (SQLite) unless this names another SQLAlchemy database:
# c.CourseDirectory.db_url = "postgresql://grader@localhost/deepdream"
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
