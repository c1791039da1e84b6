import { useEffect, useMemo, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { App, Button, Card, Descriptions, Form, Grid, Input, InputNumber, List, Modal, Radio, Select, Space, Spin, Table, Tag, Typography } from "antd";
import { useApi } from "../../lib/useApi";
import { useSession } from "../../lib/auth";
import { formatTime } from "../../lib/dates";
import { wanToYuan } from "../../lib/money";
import { teams, type Team } from "../../lib/reference";
import { applyProblem, FormError } from "../../components/FormError";
import { amendSummary, getTrip, INTEREST, listSummaries, listVisits, updateVisit, visitToLead, type Summary, type Visit } from "./api";
import { visitChanges } from "./visitEdit";

const CJK = /[\u4e00-\u9fff]/;

function LeadFromVisit({ visit, onDone, onCancel }: { visit: Visit; onDone: (leadId: string) => void; onCancel: () => void }) {
  const [form] = Form.useForm();
  const [error, setError] = useState<unknown>(null);
  const [teamList, setTeams] = useState<Team[]>([]);
  useEffect(() => { teams().then(setTeams, setError); }, []);
  const industries = useMemo(() => [...new Set(teamList.flatMap((t) => t.industries.filter((i) => CJK.test(i))))], [teamList]);
  const submit = async (v: any) => {
    setError(null);
    try {
      const r = await visitToLead(visit.id, { title: v.title || undefined, industry: v.industry, investment_cny: wanToYuan(v.investment_wan) });
      onDone((r as { lead_id?: string; id?: string }).lead_id ?? (r as { id?: string }).id ?? "");
    } catch (e) { applyProblem(form, e); setError(e); }
  };
  return (
    <Modal open title={`转为线索：${visit.company}`} onCancel={onCancel} onOk={() => form.submit()} okText="转为线索">
      <FormError error={error} onRetry={() => form.submit()} />
      <Form form={form} layout="vertical" onFinish={submit}>
        <Form.Item label="项目名称（默认为企业名称）" name="title"><Input /></Form.Item>
        <Form.Item label="产业" name="industry" rules={[{ required: true, message: "请选择产业" }]}><Select showSearch options={industries.map((i) => ({ value: i, label: i }))} /></Form.Item>
        <Form.Item label="预计投资" name="investment_wan" rules={[{ required: true, message: "请填写预计投资" }]}><InputNumber min={0} style={{ width: "100%" }} addonAfter="万元" /></Form.Item>
      </Form>
    </Modal>
  );
}

/** Filling in a visit later (the evening after): laid out for a phone, only the changes sent. */
function VisitEditor({ visit, onDone, onCancel }: { visit: Visit; onDone: () => void; onCancel: () => void }) {
  const [form] = Form.useForm();
  const { message } = App.useApp();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (v: Record<string, string | undefined>) => {
    const body = visitChanges(visit, v);
    if (!Object.keys(body).length) { message.info("没有修改"); onCancel(); return; }
    setBusy(true); setError(null);
    try { await updateVisit(visit.id, body); message.success("走访记录已更新"); onDone(); }
    catch (e) { applyProblem(form, e); setError(e); } finally { setBusy(false); }
  };
  return (
    <Modal open title={`补充走访：${visit.company}`} onCancel={onCancel} onOk={() => form.submit()} okText="保存修改" confirmLoading={busy} width={560} destroyOnClose>
      <FormError error={error} onRetry={() => form.submit()} />
      <Form form={form} layout="vertical" onFinish={submit} size="large"
        initialValues={{ interest: visit.interest ?? undefined, outcome: visit.outcome ?? "", next_step: visit.next_step ?? "", notes: visit.notes ?? "", credit_code: visit.credit_code ?? "" }}>
        <Form.Item label="投资意向" name="interest">
          <Radio.Group optionType="button" options={Object.entries(INTEREST).map(([value, label]) => ({ value, label }))} />
        </Form.Item>
        <Form.Item label="洽谈结果" name="outcome"><Input.TextArea rows={3} maxLength={5000} /></Form.Item>
        <Form.Item label="下一步" name="next_step"><Input maxLength={1000} /></Form.Item>
        <Form.Item label="统一社会信用代码" name="credit_code" extra="18 位，知道时填写"><Input maxLength={18} autoComplete="off" /></Form.Item>
        <Form.Item label="备注" name="notes"><Input.TextArea rows={2} maxLength={5000} /></Form.Item>
      </Form>
    </Modal>
  );
}

function SummaryCard({ tripId, summary, mayAmend, onDone }: { tripId: string; summary: Summary; mayAmend: boolean; onDone: () => void }) {
  const [form] = Form.useForm();
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState(false);
  const submit = async (v: { next_day_plan?: string; notes?: string }) => {
    setError(null);
    try { await amendSummary(tripId, summary.day, Object.fromEntries(Object.entries(v).filter(([, x]) => x))); setEditing(false); onDone(); }
    catch (e) { applyProblem(form, e); setError(e); }
  };
  const figures = Object.entries(summary).filter(([k, v]) => typeof v === "number" && !["day"].includes(k));
  return (
    <Card size="small" title={`${summary.day} 晚间小结`} style={{ marginBottom: 8 }} extra={mayAmend && !editing && <Button size="small" onClick={() => setEditing(true)}>补充明日计划</Button>}>
      <Space wrap>{figures.map(([k, v]) => <Tag key={k}>{({ visits: "走访", interested: "有意向", follow_ups: "待跟进", targets_visited: "目标完成" } as Record<string, string>)[k] ?? k}：{String(v)}</Tag>)}</Space>
      {summary.next_day_plan && <p>明日计划：{summary.next_day_plan}</p>}
      {summary.notes && <p>备注：{summary.notes}</p>}
      {editing && (
        <Form form={form} layout="vertical" onFinish={submit} initialValues={{ next_day_plan: summary.next_day_plan, notes: summary.notes }}>
          <FormError error={error} onRetry={() => form.submit()} />
          <Form.Item label="明日计划" name="next_day_plan"><Input.TextArea rows={2} /></Form.Item>
          <Form.Item label="备注" name="notes"><Input.TextArea rows={2} /></Form.Item>
          <Space><Button type="primary" htmlType="submit">保存</Button><Button onClick={() => setEditing(false)}>取消</Button></Space>
        </Form>)}
    </Card>
  );
}

export default function TripDetail() {
  const { id = "" } = useParams();
  const me = useSession()!.me;
  const navigate = useNavigate();
  const { message } = App.useApp();
  const trip = useApi(() => getTrip(id), [id]);
  const visits = useApi(() => listVisits(id), [id]);
  const summaries = useApi(() => listSummaries(id), [id]);
  const [converting, setConverting] = useState<Visit | null>(null);
  const [amending, setAmending] = useState<Visit | null>(null);
  const phone = !Grid.useBreakpoint().md;
  const t = trip.data;
  if (trip.error) return <FormError error={trip.error} onRetry={trip.reload} />;
  if (!t) return <Spin />;
  const mayWrite = me.role === "admin" || (me.role === "branch_member" && me.branch_id === t.branch_id);
  const days = summaries.data ? (Array.isArray(summaries.data) ? summaries.data : summaries.data.items) : [];
  return (
    <>
      <Space style={{ width: "100%", justifyContent: "space-between", flexWrap: "wrap" }}>
        <Typography.Title level={3} className="page-title">行程：{t.destination}</Typography.Title>
        {mayWrite && <Button type="primary" onClick={() => navigate(`/trips/${id}/visit`)}>记录走访</Button>}
      </Space>
      <Card size="small" style={{ marginBottom: 12 }}>
        <Descriptions size="small" column={{ xs: 1, md: 3 }}>
          <Descriptions.Item label="日期">{t.start_date} 至 {t.end_date}</Descriptions.Item>
          <Descriptions.Item label="成员">{t.members.join("、") || "—"}</Descriptions.Item>
          <Descriptions.Item label="目的">{t.purpose ?? "—"}</Descriptions.Item>
        </Descriptions>
        <List size="small" header="功课：目标企业" dataSource={t.targets} renderItem={(x) => <List.Item>{x.company}{x.questions?.length ? `：${x.questions.join("；")}` : ""}</List.Item>} />
      </Card>
      <Card title="走访记录" size="small" style={{ marginBottom: 12 }}>
        <FormError error={visits.error} onRetry={visits.reload} />
        {phone ? (
          <List loading={visits.loading} dataSource={visits.data?.items ?? []} locale={{ emptyText: "暂无走访记录" }}
            renderItem={(v) => (
              <List.Item actions={mayWrite ? [
                <Button key="edit" size="small" onClick={() => setAmending(v)}>补充</Button>,
                ...(v.lead_id ? [] : [<Button key="lead" size="small" onClick={() => setConverting(v)}>转为线索</Button>]),
              ] : undefined}>
                <List.Item.Meta title={<>{v.company}{v.interest && <Tag style={{ marginLeft: 8 }}>{INTEREST[v.interest] ?? v.interest}</Tag>}</>}
                  description={<>{formatTime(v.visited_at)}{v.outcome ? ` · ${v.outcome}` : ""}{v.next_step ? ` · 下一步：${v.next_step}` : ""}{v.lead_id && <> · <Link to={`/leads/${v.lead_id}`}>已转线索</Link></>}</>} />
              </List.Item>)} />
        ) : (
        <Table<Visit> rowKey="id" size="small" loading={visits.loading} dataSource={visits.data?.items ?? []} pagination={false} scroll={{ x: 700 }}
          columns={[
            { title: "企业", dataIndex: "company" },
            { title: "时间", dataIndex: "visited_at", render: formatTime },
            { title: "意向", dataIndex: "interest", render: (i: string | null) => (i ? INTEREST[i] ?? i : "—") },
            { title: "结果", dataIndex: "outcome", render: (o) => o ?? "—" },
            { title: "下一步", dataIndex: "next_step", render: (o) => o ?? "—" },
            { title: "线索", key: "lead", render: (_, v) => v.lead_id ? <Link to={`/leads/${v.lead_id}`}>已转线索</Link> : mayWrite && <Button size="small" onClick={() => setConverting(v)}>转为线索</Button> },
            ...(mayWrite ? [{ title: "操作", key: "edit", render: (_: unknown, v: Visit) => <Button size="small" onClick={() => setAmending(v)}>补充</Button> }] : []),
          ]} />
        )}
      </Card>
      <Typography.Title level={5}>每日晚间小结</Typography.Title>
      {days.length ? days.map((s) => <SummaryCard key={s.day} tripId={id} summary={s} mayAmend={mayWrite} onDone={summaries.reload} />)
        : <Typography.Text type="secondary">当天 21:00 后自动生成小结。</Typography.Text>}
      {amending && <VisitEditor visit={amending} onCancel={() => setAmending(null)} onDone={() => { setAmending(null); visits.reload(); summaries.reload(); }} />}
      {converting && <LeadFromVisit visit={converting} onCancel={() => setConverting(null)} onDone={(leadId) => { setConverting(null); message.success("已转为线索"); visits.reload(); navigate(`/leads/${leadId}`); }} />}
    </>
  );
}
