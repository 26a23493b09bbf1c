"""Running a plan: the dependency graph, the parallel executor and bounded waits."""
