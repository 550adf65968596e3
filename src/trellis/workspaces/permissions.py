"""Roles and what each may do: seed 004's permission matrix, in one place."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"


class Permission(StrEnum):
    READ = "read"  # view workflows, executions, projects, analytics, members
    WRITE = "write"  # create, edit, delete and run workflows and other resources
    MANAGE_MEMBERS = "manage_members"  # invite, remove, change roles
    MANAGE_SETTINGS = "manage_settings"  # workspace settings and credentials
    DELETE_WORKSPACE = "delete_workspace"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.ADMIN: frozenset(Permission) - {Permission.DELETE_WORKSPACE},
    Role.EDITOR: frozenset({Permission.READ, Permission.WRITE}),
    Role.VIEWER: frozenset({Permission.READ}),
}

# Permissions a read-only API token can exercise.
READ_ONLY_PERMISSIONS = frozenset({Permission.READ})


def role_allows(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


# Who may grant which role: admins manage editors and viewers (and admins), only owners make owners.
def can_assign(actor: Role, target_role: Role) -> bool:
    if actor is Role.OWNER:
        return True
    return actor is Role.ADMIN and target_role is not Role.OWNER
