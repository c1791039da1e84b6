import { Link, useNavigate, useSearchParams } from "react-router";
import { Button, Card, Select, Space, Table, Tag, Typography } from "antd";
import { PlusOutlined } from "@ant-design/icons";
import { useApi } from "../../lib/useApi";
import { useSession } from "../../lib/auth";
import { formatTime } from "../../lib/dates";
import { SLA_LABELS } from "../../lib/reference";
import { Countdown } from "../../components/Countdown";
import { FormError } from "../../components/FormError";
import { listRequests, type PolicyRequest } from "./api";

const STATUS: Record<string, string> = { open: "办理中", closed: "已办结" };

export default function PolicyList() {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const me = useSession()!.me;
  const page = Number(params.get("page") || 1);
  const department = me.role === "department" ? me.department ?? undefined : undefined;
  const { data, error, loading, reload } = useApi(() => listRequests({
    status: params.get("status") ?? undefined, sla_state: params.get("sla_state") ?? undefined, department, page, page_size: 20,
  }), [params.toString()]);
  const set = (k: string, v?: string) => { const n = new URLSearchParams(params); if (v) n.set(k, v); else n.delete(k); n.delete("page"); setParams(n); };
  return (
    <>
      <Space style={{ width: "100%", justifyContent: "space-between", flexWrap: "wrap" }}>
        <Typography.Title level={3} className="page-title">政策诉求</Typography.Title>
        {["admin", "leader", "team_member"].includes(me.role) && <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate("/policy/new")}>批量提交诉求</Button>}
      </Space>
      <Card size="small" style={{ marginBottom: 12 }}>
        <Space wrap>
          <Select aria-label="办理状态" placeholder="办理状态" allowClear style={{ width: 120 }} value={params.get("status") ?? undefined} onChange={(v) => set("status", v)}
            options={Object.entries(STATUS).map(([value, label]) => ({ value, label }))} />
          <Select aria-label="时限状态" placeholder="时限状态" allowClear style={{ width: 120 }} value={params.get("sla_state") ?? undefined} onChange={(v) => set("sla_state", v)}
            options={Object.entries(SLA_LABELS).map(([value, l]) => ({ value, label: l.text }))} />
        </Space>
      </Card>
      <FormError error={error} onRetry={reload} />
      <Card size="small">
        <Table<PolicyRequest> rowKey="id" loading={loading} dataSource={data?.items ?? []} scroll={{ x: 800 }}
          pagination={{ current: page, pageSize: 20, total: data?.total ?? 0, onChange: (p) => { const n = new URLSearchParams(params); n.set("page", String(p)); setParams(n); } }}
          columns={[
            { title: "企业", dataIndex: "enterprise", render: (t: string, r) => <Link to={`/policy/${r.id}`}>{t}</Link> },
            { title: "项目", dataIndex: "lead_title" },
            { title: "诉求数", key: "n", width: 80, render: (_, r) => `${r.items.length} 项` },
            { title: "我部门待办", key: "mine", width: 110, render: (_, r) => department ? `${r.items.filter((i) => i.department === department && i.status !== "replied").length} 项` : "—" },
            { title: "收到时间", dataIndex: "received_at", width: 150, render: formatTime },
            { title: "时限", key: "sla", width: 190, render: (_, r) => r.status === "closed" ? <Tag color={SLA_LABELS[r.sla_state]?.color}>{SLA_LABELS[r.sla_state]?.text ?? r.sla_state}</Tag> : <Countdown due={r.due_at} start={r.received_at} /> },
            { title: "状态", dataIndex: "status", width: 90, render: (s: string, r) => <Space size={2}><Tag>{STATUS[s] ?? s}</Tag>{s !== "closed" && <Tag color={SLA_LABELS[r.sla_state]?.color}>{SLA_LABELS[r.sla_state]?.text}</Tag>}</Space> },
          ]} />
      </Card>
    </>
  );
}
