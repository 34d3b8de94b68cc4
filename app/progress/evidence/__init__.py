"""Evidence ("Minh chứng") for a task's update: files and links a unit attaches (issue 19)."""
