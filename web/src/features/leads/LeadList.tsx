import { useEffect, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { App, Button, Card, Input, Select, Space, Table, Tag, Typography } from "antd";
import { DownloadOutlined, PlusOutlined } from "@ant-design/icons";
import { download } from "../../lib/api";
import { describe } from "../../lib/problems";
import { useApi } from "../../lib/useApi";
import { formatCny } from "../../lib/money";
import { dayjs, formatDate } from "../../lib/dates";
import { branches, STAGE_LABELS, STAGES, STATUS_LABELS, teams, type Branch, type Team } from "../../lib/reference";
import { FormError } from "../../components/FormError";
import { useSession } from "../../lib/auth";
import { listLeads, type Lead } from "./api";
import { exportName, leadFilters } from "./filters";

export default function LeadList() {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const session = useSession()!;
  const page = Number(params.get("page") || 1);
  const pageSize = Number(params.get("page_size") || 20);
  const [teamList, setTeams] = useState<Team[]>([]);
  const [branchList, setBranches] = useState<Branch[]>([]);
  const [q, setQ] = useState(params.get("q") ?? "");
  useEffect(() => { teams().then(setTeams, () => undefined); branches().then(setBranches, () => undefined); }, []);

  const { message } = App.useApp();
  const [exporting, setExporting] = useState(false);
  const query = leadFilters(params);
  const { data, error, loading, reload } = useApi(
    () => listLeads({ ...query, major: query.major === "true" ? true : undefined, page, page_size: pageSize }),
    [params.toString()],
  );
  const set = (key: string, value?: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value); else next.delete(key);
    if (key !== "page") next.delete("page");
    setParams(next);
  };
  // The same filters as the list on screen, every page of it, as .xlsx.
  const exportXlsx = async () => {
    setExporting(true);
    try {
      const name = exportName(query, {
        team_id: (v) => teamList.find((t) => t.id === v)?.name_zh, branch_id: (v) => branchList.find((b) => b.id === v)?.name_zh,
        stage: (v) => STAGE_LABELS[v], status: (v) => STATUS_LABELS[v],
      }, dayjs().tz().format("YYYY-MM-DD"));
      await download("/api/v1/leads.xlsx", name, query);
    } catch (e) { message.error(describe(e)); } finally { setExporting(false); }
  };
  const mayCreate = ["admin", "leader", "team_member", "branch_member"].includes(session.me.role);

  return (
    <>
      <Space style={{ width: "100%", justifyContent: "space-between", flexWrap: "wrap" }}>
        <Typography.Title level={3} className="page-title">项目线索</Typography.Title>
        <Space wrap style={{ marginBottom: 12 }}>
          <Button icon={<DownloadOutlined />} loading={exporting} onClick={exportXlsx}>导出 Excel</Button>
          {mayCreate && <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate("/leads/new")}>新建线索</Button>}
        </Space>
      </Space>
      <Card size="small" style={{ marginBottom: 12 }}>
        <Space wrap>
          <Input.Search aria-label="搜索线索" placeholder="搜索项目名称、企业" allowClear value={q} style={{ width: 240 }}
            onChange={(e) => setQ(e.target.value)} onSearch={(v) => set("q", v.trim())} />
          {session.me.role !== "team_member" && (
            <Select aria-label="招商组" placeholder="招商组" allowClear style={{ width: 220 }} value={params.get("team_id") ?? undefined}
              onChange={(v) => set("team_id", v)} options={teamList.map((t) => ({ value: t.id, label: t.name_zh }))} />
          )}
          <Select aria-label="阶段" placeholder="阶段" allowClear style={{ width: 110 }} value={params.get("stage") ?? undefined}
            onChange={(v) => set("stage", v)} options={STAGES.map((s) => ({ value: s, label: STAGE_LABELS[s] }))} />
          <Select aria-label="状态" placeholder="状态" allowClear style={{ width: 110 }} value={params.get("status") ?? undefined}
            onChange={(v) => set("status", v)} options={Object.entries(STATUS_LABELS).map(([value, label]) => ({ value, label }))} />
          {session.me.role !== "branch_member" && (
            <Select aria-label="来源支部" placeholder="来源支部" allowClear style={{ width: 220 }} value={params.get("branch_id") ?? undefined}
              onChange={(v) => set("branch_id", v)} options={branchList.map((b) => ({ value: b.id, label: b.name_zh }))} />
          )}
          <Select aria-label="重大项目" placeholder="重大项目" allowClear style={{ width: 130 }} value={params.get("major") ?? undefined}
            onChange={(v) => set("major", v)} options={[{ value: "true", label: "仅绿色通道" }]} />
        </Space>
      </Card>
      <FormError error={error} onRetry={reload} />
      <Card size="small">
        <Table<Lead>
          rowKey="id"
          size="middle"
          loading={loading}
          dataSource={data?.items ?? []}
          scroll={{ x: 900 }}
          pagination={{
            // A capped total counts up to this page's end: one more opens the next page.
            current: page, pageSize, total: (data?.total ?? 0) + (data?.total_capped ? 1 : 0), showSizeChanger: true,
            showTotal: () => `共 ${data?.total ?? 0} 条${data?.total_capped ? "以上" : ""}`,
            onChange: (p, s) => { const next = new URLSearchParams(params); next.set("page", String(p)); next.set("page_size", String(s)); setParams(next); },
          }}
          columns={[
            { title: "项目名称", dataIndex: "title", render: (t: string, r) => (
              <Space size={4}>
                {r.green_channel && <Tag color="red">绿色通道</Tag>}
                <Link to={`/leads/${r.id}`}>{t}</Link>
              </Space>) },
            { title: "企业", dataIndex: ["company", "name"] },
            { title: "产业", dataIndex: "industry", width: 100 },
            { title: "投资额", dataIndex: "investment_cny", width: 110, align: "right", render: (v: number) => formatCny(v) },
            { title: "阶段", dataIndex: "stage", width: 80, render: (s: string) => <Tag color="blue">{STAGE_LABELS[s] ?? s}</Tag> },
            { title: "状态", dataIndex: "status", width: 80, render: (s: string) => <Tag color={s === "active" ? "green" : s === "lost" ? "default" : "orange"}>{STATUS_LABELS[s] ?? s}</Tag> },
            { title: "招商组", dataIndex: "team_name", render: (t: string | null, r) => t ?? (r.routing === "triage" ? <Tag color="orange">待人工分派</Tag> : "分派中") },
            { title: "登记日期", dataIndex: "created_at", width: 110, render: (v: string) => formatDate(v) },
          ]}
        />
      </Card>
    </>
  );
}
