import { lazy, Suspense, useMemo, useState } from "react";
import { App, Alert, Button, Card, Input, Space, Spin, Table, Tabs, Tag, Typography } from "antd";
import { DownloadOutlined } from "@ant-design/icons";
import { cleanQuery, client, download, unwrap } from "../../lib/api";
import { useApi } from "../../lib/useApi";
import { formatCny } from "../../lib/money";
import { formatTime } from "../../lib/dates";
import { describe } from "../../lib/problems";
import { FormError } from "../../components/FormError";

const Chart = lazy(() => import("../../components/Chart"));

// The four reports of the supervision rhythm: weekly, monthly, quarterly, bimonthly.
const REPORTS = [
  { key: "weekly", label: "周督查", path: "/api/v1/inspections/weekly", param: "week", hint: "如 2026-W48" },
  { key: "yellow", label: "月度黄牌", path: "/api/v1/yellow-cards", param: "month", hint: "如 2026-11" },
  { key: "tackle", label: "季度攻坚清单", path: "/api/v1/tackle-list", param: "quarter", hint: "如 2026Q4" },
  { key: "showcase", label: "双月晒实绩", path: "/api/v1/showcase", param: "period", hint: "如 2026-11" },
] as const;

const HEADERS: Record<string, string> = {
  rank: "名次", unit_name: "单位", unit: "单位", unit_kind: "类型", title: "项目", lead_title: "项目", team_name: "招商组",
  project_lead: "项目长", stage: "阶段", milestone: "节点", label: "节点", planned_date: "计划日期", actual_date: "实际日期",
  days_late: "滞后天数", late_milestones: "滞后节点", open_problems: "未解决问题", overdue_problems: "超期问题",
  breached_replies: "超时答复", projects: "项目数", investment_cny: "投资额", replies: "答复数", replies_on_time: "按时答复",
  replies_on_time_pct: "按时率", problems_solved: "解决问题", problems_solved_on_time: "按时解决", problems_overdue: "超期问题",
  score: "得分", points: "扣分", yellow_card: "黄牌", reasons: "原因", progress: "进展", progress_pct: "完成率", due_date: "到期",
  milestones_due: "本季度节点", state: "状态", status: "状态",
};
const UNIT_KIND: Record<string, string> = { department: "部门", town: "镇街", team: "招商组" };
const VALUE_KEYS = ["score", "points", "days_late", "late_milestones", "progress_pct"];
const NAME_KEYS = ["unit_name", "unit", "title", "lead_title"];

interface Report { title_zh: string; label_zh: string; final?: boolean; generated_at?: string; rows?: Record<string, unknown>[]; [k: string]: unknown }

function cell(key: string, v: unknown): React.ReactNode {
  if (v == null) return "—";
  if (key === "investment_cny") return formatCny(v as number);
  if (key === "unit_kind") return UNIT_KIND[String(v)] ?? String(v);
  if (key.endsWith("_pct") && typeof v === "number") return `${Math.round(v * (v <= 1 ? 100 : 1))}%`;
  if (typeof v === "boolean") return v ? <Tag color="gold">是</Tag> : "否";
  if (Array.isArray(v)) return v.map((x) => (typeof x === "object" ? (x as Record<string, unknown>).label_zh ?? (x as Record<string, unknown>).reason ?? JSON.stringify(x) : String(x))).join("；");
  if (typeof v === "object") return (v as Record<string, unknown>).label_zh as string ?? "—";
  return String(v);
}

function ReportView({ spec }: { spec: (typeof REPORTS)[number] }) {
  const { message } = App.useApp();
  const [period, setPeriod] = useState("");
  const [asked, setAsked] = useState("");
  const report = useApi(() => unwrap<Report>(client.GET(spec.path as never, { params: { query: cleanQuery({ [spec.param]: asked }) } } as never)), [asked]);
  const rows = report.data?.rows ?? [];
  const columns = useMemo(() => {
    const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((k) => HEADERS[k] || k.endsWith("_zh"));
    return keys.map((k) => ({ title: HEADERS[k] ?? "说明", dataIndex: k, key: k, render: (v: unknown) => cell(k, v) }));
  }, [rows]);
  const valueKey = VALUE_KEYS.find((k) => rows.some((r) => typeof r[k] === "number"));
  const nameKey = NAME_KEYS.find((k) => rows.some((r) => typeof r[k] === "string"));
  const option = useMemo(() => valueKey && nameKey ? {
    tooltip: {}, grid: { left: 150, right: 24, top: 16, bottom: 24 },
    xAxis: { type: "value" }, yAxis: { type: "category", inverse: true, data: rows.slice(0, 15).map((r) => String(r[nameKey])) },
    series: [{ type: "bar", name: HEADERS[valueKey], data: rows.slice(0, 15).map((r) => r[valueKey] as number), itemStyle: { color: valueKey === "score" ? "#b5121b" : "#d46b08" } }],
  } : null, [rows, valueKey, nameKey]);
  const xlsx = async () => {
    try { await download(`${spec.path}.xlsx`, `${report.data?.title_zh ?? spec.label}.xlsx`, cleanQuery({ [spec.param]: asked })); }
    catch (e) { message.error(describe(e)); }
  };
  return (
    <>
      <Space wrap style={{ marginBottom: 12 }}>
        <Input aria-label="周期" placeholder={`周期，${spec.hint}；留空为当前`} value={period} onChange={(e) => setPeriod(e.target.value)} onPressEnter={() => setAsked(period.trim())} style={{ width: 240 }} />
        <Button onClick={() => setAsked(period.trim())}>查询</Button>
        <Button icon={<DownloadOutlined />} onClick={xlsx}>下载 Excel</Button>
      </Space>
      <FormError error={report.error} onRetry={report.reload} />
      {report.loading && <Spin />}
      {report.data && (
        <Card size="small" title={report.data.title_zh} extra={<Space>{report.data.final === false && <Tag color="orange">临时（本期未结束）</Tag>}<span>生成于 {formatTime(report.data.generated_at)}</span></Space>}>
          {option && rows.length > 0 && <Suspense fallback={<Spin />}><Chart option={option} height={Math.max(160, Math.min(rows.length, 15) * 26 + 40)} label={`${report.data.title_zh}排名图`} /></Suspense>}
          {rows.length === 0 ? <Alert type="info" showIcon message="本期没有需要列出的项目或单位。" /> : (
            <Table size="small" rowKey={(r) => String(r.rank ?? r.unit_name ?? r.lead_id ?? JSON.stringify(r))} dataSource={rows} columns={columns} scroll={{ x: 900 }} pagination={{ pageSize: 20 }} />
          )}
        </Card>
      )}
    </>
  );
}

export default function Reports() {
  return (
    <>
      <Typography.Title level={3} className="page-title">督查</Typography.Title>
      <Tabs items={REPORTS.map((r) => ({ key: r.key, label: r.label, children: <ReportView spec={r} /> }))} destroyInactiveTabPane />
    </>
  );
}
