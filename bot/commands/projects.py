"""`codemonkey projects`: register the repositories CodeMonkey works in, and list them.

The GitHub App registers a project when it is installed on a repository; the Action and
`codemonkey run` work without one. Chat (`model: codemonkey/ROLE@owner/repo`), project
keys and the `/api/v1/projects/{id}` routes need the project registered: this does it
from the command line (the same as `POST /api/v1/projects`, and audited the same way).
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from sqlalchemy import select

from bot.api.schemas import PROJECT_NAME_PATTERN
from bot.cli_audit import audit
from bot.open_database import open_database
from bot.settings import Settings
from storage.sql.models import Project


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "projects", help="register a repository as a project, list the projects"
    )
    actions = parser.add_subparsers(dest="projects_action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="register OWNER/REPO (for chat, project keys, the API)")
    add.add_argument("name", metavar="OWNER/REPO", help="the repository, e.g. acme/rockets")
    add.add_argument("--default-branch", default="main", help="its default branch (main)")
    add.set_defaults(handler=run_add)
    listing = actions.add_parser("list", help="list the registered projects")
    listing.set_defaults(handler=run_list)


def run_add(settings: Settings, args: argparse.Namespace) -> int:
    if not re.fullmatch(PROJECT_NAME_PATTERN, args.name) or len(args.name) > 255:
        print(
            f"codemonkey projects: {args.name!r} is not OWNER/REPO; "
            "write it as on GitHub, e.g. acme/rockets",
            file=sys.stderr,
        )
        return 2
    database = open_database(settings)
    try:
        with database.session() as session:
            existing = session.scalar(select(Project).where(Project.name == args.name))
            if existing is not None:
                print(f"project {existing.id} {args.name} is already registered")
                return 0
            project = Project(name=args.name, default_branch=args.default_branch)
            session.add(project)
            session.flush()
            project_id = project.id
            audit(session, "projects.create", f"project:{project_id}", {"name": args.name})
        print(f"registered project {project_id} {args.name}")
        return 0
    finally:
        database.dispose()


def run_list(settings: Settings, args: argparse.Namespace) -> int:
    database = open_database(settings)
    try:
        with database.session() as session:
            projects = list(session.scalars(select(Project).order_by(Project.id)))
            rows = [(p.id, p.name, p.default_branch, p.active) for p in projects]
        if not rows:
            print("no projects yet; register one with `codemonkey projects add OWNER/REPO`")
            return 0
        print(f"{'ID':>5}  {'PROJECT':<40} {'BRANCH':<16} STATE")
        for project_id, name, branch, active in rows:
            state = "active" if active else "inactive"
            print(f"{project_id:>5}  {name:<40} {branch:<16} {state}")
        return 0
    finally:
        database.dispose()
