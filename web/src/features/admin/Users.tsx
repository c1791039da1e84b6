import { useEffect, useState } from "react";
import { App, Button, Card, Form, Input, Modal, Select, Space, Switch, Table, Tag, Typography } from "antd";
import { PlusOutlined } from "@ant-design/icons";
import { client, unwrap } from "../../lib/api";
import { useApi } from "../../lib/useApi";
import { formatTime } from "../../lib/dates";
import { ROLE_LABELS, type Me, type Role } from "../../lib/session";
import { branches, teams, units, type Branch, type Team, type Unit } from "../../lib/reference";
import { applyProblem, FormError } from "../../components/FormError";
import { ApiError } from "../../lib/problems";

interface User extends Me { disabled: boolean; last_login_at?: string | null; locked_until?: string | null }

function UserForm({ user, onDone, onCancel }: { user: User | null; onDone: () => void; onCancel: () => void }) {
  const [form] = Form.useForm();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [teamList, setTeams] = useState<Team[]>([]);
  const [branchList, setBranches] = useState<Branch[]>([]);
  const [unitList, setUnits] = useState<Unit[]>([]);
  useEffect(() => { teams().then(setTeams, setError); branches().then(setBranches, setError); units().then(setUnits, setError); }, []);
  const role = Form.useWatch("role", form) as Role | undefined;
  const submit = async (v: any) => {
    setBusy(true); setError(null);
    const scope = { team_id: role === "team_member" || role === "leader" ? v.team_id ?? null : null,
      branch_id: role === "branch_member" ? v.branch_id ?? null : null, department: role === "department" ? v.department ?? null : null };
    try {
      if (user) {
        const body: Record<string, unknown> = { display_name: v.display_name, role: v.role, ...scope, disabled: !!v.disabled };
        if (v.password) body.password = v.password;
        await unwrap(client.PATCH("/api/v1/users/{username}", { params: { path: { username: user.username } }, body: body as never }));
      } else {
        const body = Object.fromEntries(Object.entries({ username: v.username, password: v.password, display_name: v.display_name, role: v.role, ...scope }).filter(([, x]) => x != null));
        await unwrap(client.POST("/api/v1/users", { body: body as never }));
      }
      onDone();
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) form.setFields([{ name: "username", errors: ["该用户名已存在"] }]);
      applyProblem(form, e); setError(e);
    } finally { setBusy(false); }
  };
  return (
    <Modal open title={user ? `编辑用户 ${user.username}` : "新建用户"} onCancel={onCancel} onOk={() => form.submit()} okText="保存" confirmLoading={busy} forceRender>
      <FormError error={error} onRetry={() => form.submit()} />
      <Form form={form} layout="vertical" onFinish={submit} initialValues={user ?? { role: "team_member" }}>
        {!user && <Form.Item label="用户名" name="username" rules={[{ required: true, message: "请输入用户名" }]} extra="字母、数字、点、横线或下划线"><Input autoComplete="off" /></Form.Item>}
        <Form.Item label="姓名" name="display_name" rules={[{ required: true, whitespace: true, message: "请输入姓名" }]}><Input /></Form.Item>
        <Form.Item label="角色" name="role" rules={[{ required: true, message: "请选择角色" }]}>
          <Select options={Object.entries(ROLE_LABELS).map(([value, label]) => ({ value, label }))} />
        </Form.Item>
        {(role === "team_member" || role === "leader") && (
          <Form.Item label="招商组" name="team_id" rules={[{ required: role === "team_member", message: "请选择招商组" }]}>
            <Select allowClear options={teamList.map((t) => ({ value: t.id, label: t.name_zh }))} />
          </Form.Item>)}
        {role === "branch_member" && (
          <Form.Item label="党支部" name="branch_id" rules={[{ required: true, message: "请选择党支部" }]}>
            <Select options={branchList.map((b) => ({ value: b.id, label: b.name_zh }))} />
          </Form.Item>)}
        {role === "department" && (
          <Form.Item label="部门" name="department" rules={[{ required: true, message: "请选择部门" }]}>
            <Select showSearch options={unitList.map((u) => ({ value: u.name, label: u.name }))} />
          </Form.Item>)}
        <Form.Item label={user ? "重置密码（不改请留空）" : "初始密码"} name="password" rules={[{ required: !user, message: "请输入初始密码" }]} extra="至少 10 位">
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        {user && <Form.Item label="停用" name="disabled" valuePropName="checked"><Switch /></Form.Item>}
      </Form>
    </Modal>
  );
}

export default function Users() {
  const [page, setPage] = useState(1);
  const [editing, setEditing] = useState<User | null | undefined>(undefined);
  const { message } = App.useApp();
  const { data, error, loading, reload } = useApi(() => unwrap<{ items: User[]; total: number }>(
    client.GET("/api/v1/users", { params: { query: { page, page_size: 50 } as never } })), [page]);
  return (
    <>
      <Space style={{ width: "100%", justifyContent: "space-between" }}>
        <Typography.Title level={3} className="page-title">用户</Typography.Title>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing(null)}>新建用户</Button>
      </Space>
      <FormError error={error} onRetry={reload} />
      <Card size="small">
        <Table<User> rowKey="username" loading={loading} dataSource={data?.items ?? []} scroll={{ x: 800 }}
          pagination={{ current: page, pageSize: 50, total: data?.total ?? 0, onChange: setPage }}
          columns={[
            { title: "用户名", dataIndex: "username" },
            { title: "姓名", dataIndex: "display_name" },
            { title: "角色", dataIndex: "role", render: (r: Role) => ROLE_LABELS[r] ?? r },
            { title: "所属", key: "scope", render: (_, u) => u.team_id ?? u.branch_id ?? u.department ?? "—" },
            { title: "状态", dataIndex: "disabled", render: (d: boolean, u) => d ? <Tag>已停用</Tag> : u.locked_until ? <Tag color="orange">已锁定</Tag> : <Tag color="green">正常</Tag> },
            { title: "最近登录", dataIndex: "last_login_at", render: formatTime },
            { title: "操作", key: "op", render: (_, u) => <Button size="small" onClick={() => setEditing(u)}>编辑</Button> },
          ]} />
      </Card>
      {editing !== undefined && <UserForm user={editing} onCancel={() => setEditing(undefined)} onDone={() => { setEditing(undefined); message.success("已保存"); reload(); }} />}
    </>
  );
}
