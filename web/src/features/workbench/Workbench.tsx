import type { ReactNode } from "react";
import { Link } from "react-router";
import { Badge, Card, Col, Empty, Grid, List, Row, Statistic, Tag, Typography } from "antd";
import { cleanQuery, client, unwrap } from "../../lib/api";
import { useApi } from "../../lib/useApi";
import { useSession } from "../../lib/auth";
import { formatCny } from "../../lib/money";
import { formatTime } from "../../lib/dates";
import { ROLE_LABELS } from "../../lib/session";
import { STAGE_LABELS } from "../../lib/reference";
import { Countdown } from "../../components/Countdown";
import { FormError } from "../../components/FormError";
import { clockLink, deadlines, queueSections, requestDue, shows, type MyWork, type QueueSection, type WorkLead } from "./work";

interface Task { id: string; title: string; area_zh: string; due_date: string; progress_pct: number; overdue: boolean }
interface Note { id: string; title: string; body?: string; created_at: string; read: boolean }

const MY_ROLE: Record<string, string> = { project_lead: "项目长", service_group: "帮办服务组" };

function LeadItem({ lead, extra }: { lead: WorkLead; extra?: string }) {
  return (
    <List.Item>
      <List.Item.Meta title={<>{lead.green_channel && <Tag color="red">绿色通道</Tag>}<Link to={`/leads/${lead.id}`}>{lead.title}</Link></>}
        description={`${extra ? `${extra} · ` : ""}${STAGE_LABELS[lead.stage] ?? lead.stage} · ${formatCny(lead.investment_cny)}${lead.team_name ? ` · ${lead.team_name}` : ""}`} />
    </List.Item>
  );
}

/** A countdown beside the item at desk width, under it on a phone (where the side is too narrow). */
function useBeside() {
  const phone = !Grid.useBreakpoint().md;
  return (timer: ReactNode) => (phone ? { below: <div>{timer}</div>, extra: undefined } : { below: null, extra: timer });
}

function Section({ s, loading }: { s: QueueSection; loading: boolean }) {
  const beside = useBeside();
  const empty = <Empty description="暂无待办" />;
  let body;
  if (s.kind === "leads") {
    body = <List loading={loading} dataSource={(s.leads ?? []).slice(0, 10)} locale={{ emptyText: empty }} renderItem={(l) => <LeadItem lead={l} />} />;
  } else if (s.kind === "requests") {
    body = <List loading={loading} dataSource={s.requests ?? []} locale={{ emptyText: empty }}
      renderItem={(r) => {
        const t = beside(<Countdown due={requestDue(r)} start={r.received_at} />);
        return (
          <List.Item extra={t.extra}>
            <List.Item.Meta title={<Link to={`/policy/${r.id}`}>{r.enterprise}</Link>}
              description={<>{r.lead_title} · 待答复 {r.items.filter((i) => i.status !== "replied").length} 项 · 收到 {formatTime(r.received_at)}{t.below}</>} />
          </List.Item>);
      }} />;
  } else if (s.kind === "problems") {
    body = <List loading={loading} dataSource={s.problems ?? []} locale={{ emptyText: empty }}
      renderItem={(p) => (
        <List.Item>
          <List.Item.Meta title={<Link to={`/problems/${p.id}`}>{p.title}</Link>} description={`${p.lead_title} · ${p.status_zh} · ${p.complexity_zh}`} />
        </List.Item>)} />;
  } else {
    body = <List loading={loading} dataSource={(s.clocks ?? []).slice(0, 10)} locale={{ emptyText: empty }}
      renderItem={(c) => {
        const t = beside(c.due_at && <Countdown due={c.due_at} start={c.started_at} />);
        return (
          <List.Item extra={t.extra}>
            <List.Item.Meta title={<Link to={clockLink(c)}>{c.context?.title ?? c.label_zh}</Link>} description={<>{c.label_zh}{t.below}</>} />
          </List.Item>);
      }} />;
  }
  return <Card title={s.title} size="small" style={{ marginBottom: 12 }}>{body}</Card>;
}

export default function Workbench() {
  const me = useSession()!.me;
  const role = me.role;
  const work = useApi(() => unwrap<MyWork>(client.GET("/api/v1/me/work")), [role]);
  const watchesGreen = shows("green", role);
  const green = useApi(async () => (watchesGreen
    ? unwrap<{ items: WorkLead[]; total: number }>(client.GET("/api/v1/leads", { params: { query: cleanQuery({ major: true, page_size: 8 }) as never } }))
    : { items: [] as WorkLead[], total: 0 }), [role]);
  const leadsTasks = shows("tasks", role);
  const tasks = useApi(async () => (leadsTasks
    ? unwrap<{ items: Task[]; total: number }>(client.GET("/api/v1/tasks", { params: { query: { leader: me.username, status: "open", page_size: 8 } as never } }))
    : { items: [] as Task[], total: 0 }), [role]);
  const notes = useApi(() => unwrap<{ items: Note[]; unread?: number }>(client.GET("/api/v1/notifications", { params: { query: { page_size: 5 } as never } })), []);

  const beside = useBeside();
  const w = work.data;
  const rows = w ? deadlines(w) : [];
  const sections = w ? queueSections(w.queue) : [];
  const withDeadlines = shows("deadlines", role, rows.length);
  const withProjects = shows("projects", role, w?.projects.length ?? 0);
  const stats = [
    ...(withDeadlines ? [
      { title: "已超时", value: w?.overdue.length ?? 0, color: w?.overdue.length ? "#a8071a" : undefined },
      { title: "即将到期", value: w?.due_soon.length ?? 0, color: w?.due_soon.length ? "#873800" : undefined }] : []),
    ...(withProjects ? [{ title: "我的项目", value: w?.projects.length ?? 0 }] : []),
    ...(leadsTasks ? [{ title: "我的任务", value: tasks.data?.total ?? 0 }] : []),
    { title: "未读通知", value: notes.data?.unread ?? 0 },
  ] as { title: string; value: number; color?: string }[];

  return (
    <>
      <Typography.Title level={3} className="page-title">我的工作台</Typography.Title>
      <Typography.Paragraph type="secondary">{me.display_name}，{ROLE_LABELS[role]}{me.department ? ` · ${me.department}` : ""}</Typography.Paragraph>
      <FormError error={work.error} onRetry={work.reload} />
      <Row gutter={[12, 12]}>
        {stats.map((t) => (
          <Col key={t.title} xs={12} md={{ flex: "1 1 0" }}><Card size="small"><Statistic title={t.title} value={t.value} valueStyle={{ color: t.color }} /></Card></Col>))}
      </Row>
      <Row gutter={12} style={{ marginTop: 12 }}>
        <Col xs={24} lg={14}>
          {withDeadlines && <Card title="超时与即将到期（24小时内）" size="small" style={{ marginBottom: 12 }}>
            <List loading={work.loading} dataSource={rows} locale={{ emptyText: <Empty description="没有超时或24小时内到期的事项" /> }}
              renderItem={(c) => {
                const t = beside(c.due_at && <Countdown due={c.due_at} start={c.started_at} />);
                return (
                  <List.Item extra={t.extra}>
                    <List.Item.Meta
                      title={<Link to={clockLink(c)}>{c.context?.title ?? c.label_zh}</Link>}
                      description={<>{c.overdue ? <Tag color="red">已超时</Tag> : <Tag color="orange">即将到期</Tag>}{c.label_zh}{c.paused ? "（暂停中）" : ""} · 截止 {formatTime(c.due_at)}{t.below}</>} />
                  </List.Item>);
              }} />
          </Card>}
          {sections.map((s) => <Section key={s.key} s={s} loading={work.loading} />)}
        </Col>
        <Col xs={24} lg={10}>
          {withProjects && <Card title="我的项目（项目长、帮办服务组）" size="small" style={{ marginBottom: 12 }}>
            <List loading={work.loading} dataSource={w?.projects ?? []} locale={{ emptyText: <Empty description="暂无担任项目长或帮办服务组成员的项目" /> }}
              renderItem={(p) => <LeadItem lead={p} extra={MY_ROLE[p.my_role] ?? p.my_role} />} />
          </Card>}
          {leadsTasks && (
            <Card title="我的任务（推进中）" size="small" style={{ marginBottom: 12 }} extra={<Link to="/tasks">全部</Link>}>
              <FormError error={tasks.error} onRetry={tasks.reload} />
              <List loading={tasks.loading} dataSource={tasks.data?.items ?? []} locale={{ emptyText: <Empty description="暂无推进中的任务" /> }}
                renderItem={(t) => (
                  <List.Item><List.Item.Meta title={<Link to={`/tasks?task=${t.id}`}>{t.title}</Link>}
                    description={<>{t.area_zh} · 完成 {t.progress_pct}% · {t.overdue ? <span className="overdue">已逾期（{t.due_date}）</span> : `${t.due_date} 到期`}</>} /></List.Item>)} />
            </Card>
          )}
          {watchesGreen && (
            <Card title="绿色通道重大项目" size="small" style={{ marginBottom: 12 }} extra={<Link to="/leads?major=true">全部</Link>}>
              <FormError error={green.error} onRetry={green.reload} />
              <List loading={green.loading} dataSource={green.data?.items ?? []} locale={{ emptyText: <Empty description="暂无重大项目" /> }}
                renderItem={(l) => <LeadItem lead={l} />} />
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
