import { Badge, Button, Card, ErrorMessage, QueryState } from "@/components";
import { formatDateTime } from "@/lib/format";
import { useSession } from "@/lib/useSession";
import { useChangeRole, useMembers, useRemoveMember } from "../hooks/useWorkspaces";
import { canManageMembers, ROLE_DESCRIPTIONS, ROLES, type Role, type Workspace } from "../types";

export function MembersPage({ workspace }: { workspace: Workspace }) {
  const members = useMembers(workspace.id);
  const changeRole = useChangeRole(workspace.id);
  const remove = useRemoveMember(workspace.id);
  const session = useSession();
  const manage = canManageMembers(workspace.role);
  return (
    <Card title="Members and roles" subtitle={manage ? "Change a role or remove someone; owners can only be changed by owners." : "Only owners and admins can change roles."}>
      <ErrorMessage error={changeRole.error ?? remove.error} />
      <QueryState query={members}>
        {(data) => (
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th>Member</th>
                  <th>Role</th>
                  <th>Joined</th>
                  {manage && <th />}
                </tr>
              </thead>
              <tbody>
                {data.items.map((member) => {
                  const self = member.user_id === session?.user.id;
                  return (
                    <tr key={member.user_id}>
                      <td>
                        <div className="list-title">
                          {member.full_name || member.email} {self && <Badge>you</Badge>}
                        </div>
                        <div className="muted small">{member.email}</div>
                      </td>
                      <td>
                        {manage && !self ? (
                          <select
                            className="input input-sm"
                            aria-label={`Role of ${member.email}`}
                            value={member.role}
                            disabled={changeRole.isPending}
                            onChange={(event) => changeRole.mutate({ userId: member.user_id, role: event.target.value as Role })}
                          >
                            {ROLES.map((role) => (
                              <option key={role} value={role} title={ROLE_DESCRIPTIONS[role]}>
                                {role}
                              </option>
                            ))}
                          </select>
                        ) : (
                          <Badge tone={member.role === "owner" ? "accent" : "neutral"} title={ROLE_DESCRIPTIONS[member.role]}>
                            {member.role}
                          </Badge>
                        )}
                      </td>
                      <td>{formatDateTime(member.joined_at)}</td>
                      {manage && (
                        <td className="cell-actions">
                          {!self && (
                            <Button size="sm" variant="danger" busy={remove.isPending && remove.variables === member.user_id} onClick={() => remove.mutate(member.user_id)}>
                              Remove
                            </Button>
                          )}
                        </td>
                      )}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
      <dl className="role-legend">
        {ROLES.map((role) => (
          <div key={role}>
            <dt>{role}</dt>
            <dd>{ROLE_DESCRIPTIONS[role]}</dd>
          </div>
        ))}
      </dl>
    </Card>
  );
}
