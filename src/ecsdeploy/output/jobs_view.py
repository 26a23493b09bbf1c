"""Renders the scheduled jobs in ``status``: each job's schedule and next run, then its
last runs with exit codes and durations (those ECS still knows, about the last hour)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ecsdeploy.reconcile.job_runs import JobRun, JobStatus


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "-"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def outcome(run: JobRun) -> str:
    if run.status != "STOPPED":
        return run.status.lower() or "-"
    if run.exit_code is None:
        return f"[bold red]did not run[/]: {escape(run.reason) or 'no reason given'}"
    if run.exit_code == 0:
        return "[green]exit 0[/]"
    return f"[bold red]exit {run.exit_code}[/]" + (f": {escape(run.reason)}" if run.reason else "")


def show_jobs(console: Console, title: str, jobs: Sequence[JobStatus]) -> None:
    """The jobs table, and one table of last runs per job that has any."""
    if not jobs:
        return
    table = Table(title=f"{title}: jobs", title_justify="left")
    for column in ("job", "schedule", "next run", "last run"):
        table.add_column(column, overflow="fold")
    for job in jobs:
        schedule = escape(f"{job.expression} ({job.timezone})")
        if job.state == "DISABLED":
            schedule += " [yellow]disabled[/]"
        last = job.runs[0] if job.runs else None
        table.add_row(
            escape(job.name),
            schedule,
            when(job.next_run),
            f"{when(last.started)}, {outcome(last)}" if last else "none in the last hour",
        )
    console.print(table)
    for job in jobs:
        if not job.runs:
            continue
        runs = Table(title=f"{title}: last runs of {escape(job.name)}", title_justify="left")
        for column in ("task", "started", "took", "outcome"):
            runs.add_column(column, overflow="fold")
        for run in job.runs:
            runs.add_row(run.task, when(run.started), duration(run.seconds), outcome(run))
        console.print(runs)
    console.print(
        "[dim]ECS keeps stopped tasks for about an hour: older runs are in the job's logs "
        "(`ecsdeploy logs`), and a failed one was sent to the alarm topic.[/]"
    )


def jobs_json(jobs: Sequence[JobStatus]) -> list[dict[str, Any]]:
    """The jobs in ``status --output json``."""
    return [
        {
            "name": job.name,
            "schedule": job.expression,
            "timezone": job.timezone,
            "state": job.state,
            "next_run": job.next_run.isoformat() if job.next_run else None,
            "runs": [
                {
                    "task": run.task,
                    "status": run.status,
                    "started": run.started.isoformat() if run.started else None,
                    "stopped": run.stopped.isoformat() if run.stopped else None,
                    "seconds": run.seconds,
                    "exit_code": run.exit_code,
                    "reason": run.reason,
                }
                for run in job.runs
            ],
        }
        for job in jobs
    ]
