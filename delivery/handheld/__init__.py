"""The handheld app postal staff carry: an installable web app at `/app` that scans, queues scans
offline and uploads them through the staff API."""
