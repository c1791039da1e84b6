import { Link } from "react-router";
import { Badge, Card, Col, Empty, List, Row, Statistic, Tag, Typography } from "antd";
import { cleanQuery, client, unwrap } from "../../lib/api";
import { useApi } from "../../lib/useApi";
import { useSession } from "../../lib/auth";
import { formatCny } from "../../lib/money";
import { formatTime } from "../../lib/dates";
import { ROLE_LABELS } from "../../lib/session";
import { SLA_LABELS, STAGE_LABELS } from "../../lib/reference";
import { Countdown } from "../../components/Countdown";
import { FormError } from "../../components/FormError";

interface Clock { id: string; kind: string; label_zh: string; subject_id: string; started_at: string; due_at: string; state: string; paused: boolean; stopped_at: string | null; context?: { title?: string; departments?: string[]; lead_id?: string } }
interface LeadRow { id: string; title: string; stage: string; investment_cny: number; green_channel?: boolean; team_name?: string | null }
interface Note { id: string; title: string; body?: string; created_at: string; read: boolean }

const OPEN_STATES = ["breached", "warning", "on_track"];

function subjectLink(c: Clock): string {
  if (c.kind === "policy_reply") return `/policy/${c.subject_id}`;
  if (c.kind.startsWith("problem") || c.kind === "plan_progress_report") return `/problems/${c.subject_id}`;
  return "#";
}

export default function Workbench() {
  const me = useSession()!.me;
  const role = me.role;
  const clocks = useApi(async () => {
    if (role === "branch_member") return [] as Clock[];
    const page = await unwrap<{ items: Clock[] }>(client.GET("/api/v1/sla/clocks", { params: { query: { page_size: 200 } as never } }));
    return page.items
      .filter((c) => !c.stopped_at && OPEN_STATES.includes(c.state))
      .filter((c) => role !== "department" || (c.context?.departments ?? []).includes(me.department ?? ""))
      .sort((a, b) => a.due_at.localeCompare(b.due_at));
  }, [role]);
  const leads = useApi(async () => {
    if (role === "department") return { items: [] as LeadRow[], total: 0 };
    const query = role === "team_member" ? { owner: me.username } : role === "leader" || role === "inspector" || role === "admin" ? { major: true } : {};
    return unwrap<{ items: LeadRow[]; total: number }>(client.GET("/api/v1/leads", { params: { query: cleanQuery({ ...query, page_size: 8 }) as never } }));
  }, [role]);
  const notes = useApi(() => unwrap<{ items: Note[]; unread?: number }>(client.GET("/api/v1/notifications", { params: { query: { page_size: 5 } as never } })), []);

  const overdue = (clocks.data ?? []).filter((c) => c.state === "breached").length;
  const warning = (clocks.data ?? []).filter((c) => c.state === "warning").length;
  const leadTitle = role === "team_member" ? "我跟进的项目" : role === "branch_member" ? "本支部引荐的项目" : "绿色通道重大项目";

  return (
    <>
      <Typography.Title level={3} className="page-title">我的工作台</Typography.Title>
      <Typography.Paragraph type="secondary">{me.display_name}，{ROLE_LABELS[role]}{me.department ? ` · ${me.department}` : ""}</Typography.Paragraph>
      <Row gutter={12}>
        <Col xs={12} md={6}><Card size="small"><Statistic title="已超时" value={overdue} valueStyle={{ color: overdue ? "#cf1322" : undefined }} /></Card></Col>
        <Col xs={12} md={6}><Card size="small"><Statistic title="即将到期" value={warning} valueStyle={{ color: warning ? "#d46b08" : undefined }} /></Card></Col>
        <Col xs={12} md={6}><Card size="small"><Statistic title={leadTitle} value={leads.data?.total ?? 0} /></Card></Col>
        <Col xs={12} md={6}><Card size="small"><Statistic title="未读通知" value={notes.data?.unread ?? 0} /></Card></Col>
      </Row>
      <Row gutter={12} style={{ marginTop: 12 }}>
        {role !== "branch_member" && (
          <Col xs={24} lg={14}>
            <Card title="待办时限（超时与即将到期在前）" size="small" style={{ marginBottom: 12 }}>
              <FormError error={clocks.error} onRetry={clocks.reload} />
              <List loading={clocks.loading} dataSource={(clocks.data ?? []).slice(0, 12)} locale={{ emptyText: <Empty description="暂无进行中的时限" /> }}
                renderItem={(c) => (
                  <List.Item extra={<Countdown due={c.due_at} start={c.started_at} />}>
                    <List.Item.Meta
                      title={<Link to={subjectLink(c)}>{c.context?.title ?? c.label_zh}</Link>}
                      description={<><Tag color={SLA_LABELS[c.state]?.color}>{SLA_LABELS[c.state]?.text ?? c.state}</Tag>{c.label_zh}{c.paused ? "（暂停中）" : ""} · 截止 {formatTime(c.due_at)}</>} />
                  </List.Item>)} />
            </Card>
          </Col>
        )}
        <Col xs={24} lg={role === "branch_member" ? 24 : 10}>
          {role !== "department" && (
            <Card title={leadTitle} size="small" style={{ marginBottom: 12 }} extra={<Link to="/leads">全部</Link>}>
              <List loading={leads.loading} dataSource={leads.data?.items ?? []} locale={{ emptyText: <Empty description="暂无项目" /> }}
                renderItem={(l) => (
                  <List.Item>
                    <List.Item.Meta title={<>{l.green_channel && <Tag color="red">绿色通道</Tag>}<Link to={`/leads/${l.id}`}>{l.title}</Link></>}
                      description={`${STAGE_LABELS[l.stage] ?? l.stage} · ${formatCny(l.investment_cny)}${l.team_name ? ` · ${l.team_name}` : ""}`} />
                  </List.Item>)} />
            </Card>
          )}
          <Card title={<Badge count={notes.data?.unread ?? 0} offset={[12, 0]} size="small">最新通知</Badge>} size="small" extra={<Link to="/notifications">全部</Link>}>
            <List loading={notes.loading} dataSource={notes.data?.items ?? []} locale={{ emptyText: <Empty description="暂无通知" /> }}
              renderItem={(n) => (
                <List.Item><List.Item.Meta title={n.title} description={`${formatTime(n.created_at)}${n.read ? "" : " · 未读"}`} /></List.Item>)} />
          </Card>
        </Col>
      </Row>
    </>
  );
}
