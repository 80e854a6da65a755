"""Finding an item in the console (by tracking number, agency reference or phone digits) and
reading its whole custody timeline."""
