import { lazy, Suspense, useEffect, useMemo, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import {
  App, Button, Card, Col, DatePicker, Descriptions, Form, Input, Modal, Row, Select, Space, Spin, Steps, Table, Tag,
  Timeline, Typography,
} from "antd";
import { useApi } from "../../lib/useApi";
import { formatCny, formatMu } from "../../lib/money";
import { dayjs, formatDate, formatTime } from "../../lib/dates";
import { leaders, STAGE_LABELS, STAGES, STATUS_LABELS, teams, type LeaderAccount, type Team } from "../../lib/reference";
import { useSession } from "../../lib/auth";
import { applyProblem, FormError } from "../../components/FormError";
import { allowedMoves, STATUS_MOVES, statusNeedsReason } from "./pipeline";
import { describeChange, MILESTONES } from "./history";
import { initialLeader, leaderOptions, projectLeadFor, projectLeadText } from "./projectLead";
import {
  changeStatus, getCycleTimes, getLead, getProgress, moveStage, putFourOnes, reassign, recordMilestone,
  type FourOnes, type Lead, type Progress,
} from "./api";

const Chart = lazy(() => import("../../components/Chart"));

const KIND_LABELS: Record<string, string> = { forward: "推进", skip: "跨阶段", backward: "退回", created: "登记" };
function StageMoveForm({ lead, role, onDone }: { lead: Lead; role: string; onDone: () => void }) {
  const [form] = Form.useForm();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const moves = allowedMoves(lead.stage, lead.status, role);
  const target = Form.useWatch("stage", form);
  const move = moves.find((m) => m.stage === target);
  const submit = async (v: { stage: string; note?: string; at?: dayjs.Dayjs }) => {
    setBusy(true); setError(null);
    try {
      await moveStage(lead.id, { stage: v.stage, ...(v.note ? { note: v.note } : {}), ...(v.at ? { at: v.at.format() } : {}) });
      form.resetFields(); onDone();
    } catch (e) { applyProblem(form, e); setError(e); } finally { setBusy(false); }
  };
  if (!moves.length) return <Typography.Text type="secondary">{lead.status === "lost" ? "线索已流失，恢复为推进中后才能变更阶段。" : "已到最后阶段。"}</Typography.Text>;
  return (
    <Form form={form} name="stage-move" layout="vertical" onFinish={submit}>
      <FormError error={error} onRetry={() => form.submit()} />
      <Form.Item label="目标阶段" name="stage" rules={[{ required: true, message: "请选择目标阶段" }]}>
        <Select options={moves.map((m) => ({ value: m.stage, label: `${STAGE_LABELS[m.stage]}（${KIND_LABELS[m.kind]}${m.needsReason ? "，需说明原因" : ""}）` }))} />
      </Form.Item>
      <Form.Item label="发生时间" name="at" extra="不填为现在；补录时选实际时间">
        <DatePicker showTime style={{ width: "100%" }} disabledDate={(d) => d.isAfter(dayjs())} />
      </Form.Item>
      <Form.Item label="原因说明" name="note" rules={[{ required: !!move?.needsReason, whitespace: true, message: "跨阶段或退回须说明原因" }]}>
        <Input.TextArea rows={2} maxLength={1000} />
      </Form.Item>
      <Button type="primary" htmlType="submit" loading={busy}>变更阶段</Button>
    </Form>
  );
}

function StatusForm({ lead, onDone }: { lead: Lead; onDone: () => void }) {
  const [form] = Form.useForm();
  const [error, setError] = useState<unknown>(null);
  const target = Form.useWatch("status", form);
  const submit = async (v: { status: string; reason?: string }) => {
    setError(null);
    try { await changeStatus(lead.id, v); form.resetFields(); onDone(); } catch (e) { applyProblem(form, e); setError(e); }
  };
  return (
    <Form form={form} name="status-change" layout="vertical" onFinish={submit}>
      <FormError error={error} onRetry={() => form.submit()} />
      <Form.Item label="新状态" name="status" rules={[{ required: true, message: "请选择状态" }]}>
        <Select options={(STATUS_MOVES[lead.status] ?? []).map((s) => ({ value: s, label: STATUS_LABELS[s] }))} />
      </Form.Item>
      <Form.Item label="原因" name="reason" rules={[{ required: target ? statusNeedsReason(lead.status, target) : false, whitespace: true, message: "流失或恢复须说明原因" }]}>
        <Input.TextArea rows={2} maxLength={1000} />
      </Form.Item>
      <Button htmlType="submit">变更状态</Button>
    </Form>
  );
}

function ReassignForm({ lead, onDone }: { lead: Lead; onDone: () => void }) {
  const [form] = Form.useForm();
  const [list, setList] = useState<Team[]>([]);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => { teams().then(setList, setError); }, []);
  const teamId = Form.useWatch("team_id", form);
  const members = list.find((t) => t.id === teamId)?.members ?? [];
  const submit = async (v: { team_id: string; owner?: string; reason: string }) => {
    setError(null);
    try { await reassign(lead.id, v); form.resetFields(); setTimeout(onDone, 600); } catch (e) { applyProblem(form, e); setError(e); }
  };
  return (
    <Form form={form} name="reassign" layout="vertical" onFinish={submit}>
      <FormError error={error} onRetry={() => form.submit()} />
      <Form.Item label="改派到招商组" name="team_id" rules={[{ required: true, message: "请选择招商组" }]}>
        <Select options={list.map((t) => ({ value: t.id, label: t.name_zh }))} onChange={() => form.setFieldValue("owner", undefined)} />
      </Form.Item>
      <Form.Item label="跟进成员" name="owner"><Select allowClear options={members.map((m) => ({ value: m.username, label: m.name }))} /></Form.Item>
      <Form.Item label="改派原因" name="reason" rules={[{ required: true, whitespace: true, message: "请说明改派原因" }]}><Input.TextArea rows={2} maxLength={1000} /></Form.Item>
      <Button htmlType="submit">改派</Button>
    </Form>
  );
}

function FourOnesEditor({ lead, open, onClose, onDone }: { lead: Lead; open: boolean; onClose: () => void; onDone: () => void }) {
  const [form] = Form.useForm();
  const [error, setError] = useState<unknown>(null);
  const four = lead.four_ones;
  const [leaderList, setLeaderList] = useState<LeaderAccount[] | null>(null);
  useEffect(() => { leaders().then(setLeaderList, setError); }, []);
  const initial = useMemo(() => ({
    project_lead: { username: initialLeader(four?.project_lead, leaderList ?? []), title: four?.project_lead?.title ?? undefined },
    service_group: four?.service_group ?? { name: "", members: [{ name: "" }] },
    plan: (four?.plan ?? [{ milestone: "signed", planned_date: null }]).map((p) => ({ ...p, planned_date: p.planned_date ? dayjs(p.planned_date) : null })),
  }), [four, leaderList]);
  // An older lead's project lead typed as a name, with no leader's account of that one name.
  const typedOnly = four?.project_lead && !four.project_lead.username && !initialLeader(four.project_lead, leaderList ?? []);
  const submit = async (v: any) => {
    setError(null);
    const body: FourOnes = {
      project_lead: projectLeadFor(v.project_lead.username, v.project_lead.title, leaderList ?? []),
      service_group: { ...(v.service_group.name ? { name: v.service_group.name } : {}), members: v.service_group.members.map((m: any) => Object.fromEntries(Object.entries(m).filter(([, x]) => x))) },
      plan: v.plan.map((p: any) => ({ milestone: p.milestone, planned_date: p.planned_date.format("YYYY-MM-DD"), ...(p.label ? { label: p.label } : {}) })),
    };
    try { await putFourOnes(lead.id, body); onDone(); onClose(); } catch (e) { applyProblem(form, e); setError(e); }
  };
  return (
    <Modal open={open} title="四个一：项目长、计划安排书、帮办服务组" width={760} onCancel={onClose} onOk={() => form.submit()} okText="保存" destroyOnClose forceRender>
      <FormError error={error} onRetry={() => form.submit()} />
      {leaderList === null ? <Spin /> : <Form form={form} layout="vertical" initialValues={initial} onFinish={submit} preserve={false}>
        <Row gutter={12}>
          <Col xs={24} sm={12}><Form.Item label="县级项目长" name={["project_lead", "username"]} rules={[{ required: true, message: "请从县领导中选择项目长" }]}
            extra={typedOnly ? `原填写为“${four!.project_lead.name}”，未关联县领导账户：请从名单中选择` : "从县领导账户中选择，项目即出现在其“我的项目”中"}>
            <Select showSearch optionFilterProp="label" loading={leaderList === null} options={leaderOptions(leaderList ?? [])} notFoundContent="没有该县领导账户" />
          </Form.Item></Col>
          <Col xs={24} sm={12}><Form.Item label="职务" name={["project_lead", "title"]}><Input /></Form.Item></Col>
          <Col span={24}><Form.Item label="帮办服务组名称" name={["service_group", "name"]}><Input /></Form.Item></Col>
        </Row>
        <Typography.Text strong>帮办服务组成员</Typography.Text>
        <Form.List name={["service_group", "members"]}>
          {(fields, { add, remove }) => (<>
            {fields.map((f) => (
              <Space key={f.key} align="baseline" wrap>
                <Form.Item name={[f.name, "name"]} rules={[{ required: true, message: "姓名必填" }]}><Input placeholder="姓名" aria-label="成员姓名" /></Form.Item>
                <Form.Item name={[f.name, "department"]}><Input placeholder="单位" aria-label="成员单位" /></Form.Item>
                <Form.Item name={[f.name, "phone"]}><Input placeholder="电话" aria-label="成员电话" /></Form.Item>
                {fields.length > 1 && <Button type="link" onClick={() => remove(f.name)}>删除</Button>}
              </Space>))}
            <Button type="dashed" onClick={() => add({ name: "" })} style={{ marginBottom: 12 }}>添加成员</Button>
          </>)}
        </Form.List>
        <div><Typography.Text strong>计划安排书（节点与计划日期）</Typography.Text></div>
        <Form.List name="plan">
          {(fields, { add, remove }) => (<>
            {fields.map((f) => (
              <Space key={f.key} align="baseline" wrap>
                <Form.Item name={[f.name, "milestone"]} rules={[{ required: true, message: "请选择节点" }]}><Select style={{ width: 160 }} options={MILESTONES} aria-label="节点" /></Form.Item>
                <Form.Item name={[f.name, "planned_date"]} rules={[{ required: true, message: "请选择日期" }]}><DatePicker aria-label="计划日期" /></Form.Item>
                <Form.Item name={[f.name, "label"]}><Input placeholder="自定义名称（可选）" aria-label="节点名称" /></Form.Item>
                {fields.length > 1 && <Button type="link" onClick={() => remove(f.name)}>删除</Button>}
              </Space>))}
            <Button type="dashed" onClick={() => add({})}>添加节点</Button>
          </>)}
        </Form.List>
      </Form>}
    </Modal>
  );
}

function ProgressPanel({ lead, progress, mayWork, onDone }: { lead: Lead; progress?: Progress; mayWork: boolean; onDone: () => void }) {
  const { message } = App.useApp();
  const [recording, setRecording] = useState<string | null>(null);
  const [date, setDate] = useState<dayjs.Dayjs | null>(dayjs());
  const [error, setError] = useState<unknown>(null);
  const rows = progress?.milestones ?? [];
  const option = useMemo(() => ({
    tooltip: { trigger: "axis" },
    legend: { data: ["计划", "实际"] },
    grid: { left: 90, right: 20, top: 40, bottom: 40 },
    xAxis: { type: "category", data: rows.map((r) => r.label) },
    yAxis: { type: "time" },
    series: [
      { name: "计划", type: "line", data: rows.map((r) => r.planned_date), itemStyle: { color: "#8c8c8c" }, lineStyle: { type: "dashed" } },
      { name: "实际", type: "scatter", symbolSize: 14, data: rows.map((r) => ({
        value: r.actual_date ?? (r.state === "overdue" ? progress?.today : null),
        itemStyle: { color: r.state === "late" || r.state === "overdue" ? "#cf1322" : "#389e0d" } })) },
    ],
  }), [rows, progress?.today]);
  const save = async () => {
    if (!recording || !date) return;
    setError(null);
    try { await recordMilestone(lead.id, recording, { actual_date: date.format("YYYY-MM-DD") }); setRecording(null); message.success("节点已记录"); onDone(); }
    catch (e) { setError(e); }
  };
  if (!rows.length) return <Typography.Text type="secondary">尚未设置计划安排书：在“四个一”中添加节点后显示动态进度表。</Typography.Text>;
  return (
    <>
      <Suspense fallback={<Spin />}><Chart option={option} label="计划与实际对比图" /></Suspense>
      <Table size="small" rowKey="milestone" pagination={false} dataSource={rows} scroll={{ x: 600 }} columns={[
        { title: "节点", dataIndex: "label" },
        { title: "计划日期", dataIndex: "planned_date" },
        { title: "实际日期", dataIndex: "actual_date", render: (v) => v ?? "—" },
        { title: "提前/滞后", dataIndex: "days_late", render: (d: number | null, r) => d == null ? "—" : <span className={d > 0 ? "overdue" : undefined}>{d > 0 ? `滞后 ${d} 天` : d < 0 ? `提前 ${-d} 天` : "按期"}{r.state === "overdue" ? "（未完成）" : ""}</span> },
        ...(mayWork ? [{ title: "操作", key: "op", render: (_: unknown, r: Progress["milestones"][number]) => !r.actual_date && <Button size="small" onClick={() => setRecording(r.milestone)}>记录实际日期</Button> }] : []),
      ]} />
      <Modal open={!!recording} title="记录节点实际日期" onCancel={() => setRecording(null)} onOk={save} okText="保存">
        <FormError error={error} onRetry={save} />
        <DatePicker aria-label="实际日期" value={date} onChange={setDate} disabledDate={(d) => d.isAfter(dayjs())} />
      </Modal>
    </>
  );
}

export default function LeadDetail() {
  const { id = "" } = useParams();
  const session = useSession()!;
  const role = session.me.role;
  const lead = useApi(() => getLead(id), [id]);
  const progress = useApi(() => getProgress(id), [id]);
  const cycles = useApi(() => getCycleTimes(id), [id]);
  const [editing, setEditing] = useState(false);
  const teamList = useApi(() => teams(), []);
  const teamNames = useMemo(() => Object.fromEntries((teamList.data ?? []).map((t) => [t.id, t.name_zh])), [teamList.data]);
  const navigate = useNavigate();
  const reload = () => { lead.reload(); progress.reload(); cycles.reload(); };
  const l = lead.data;
  if (lead.error) return <FormError error={lead.error} onRetry={lead.reload} />;
  if (!l) return <Spin />;
  const mayWork = ["admin", "leader", "team_member"].includes(role);
  const mayReassign = ["admin", "leader"].includes(role);
  const history = [
    ...(l.stage_history ?? []).map((h) => ({ at: h.at, text: `${h.by}：${KIND_LABELS[h.kind] ?? h.kind}${h.from ? `，${STAGE_LABELS[h.from]} → ` : "，"}${STAGE_LABELS[h.stage]}${h.note && h.note !== "created" ? `（${h.note}）` : ""}` })),
  ];
  return (
    <>
      <Space wrap align="center" style={{ marginBottom: 8 }}>
        <Typography.Title level={3} className="page-title" style={{ margin: 0 }}>{l.title}</Typography.Title>
        {l.green_channel && <Tag color="red">绿色通道</Tag>}
        <Tag color={l.status === "active" ? "green" : l.status === "lost" ? "default" : "orange"}>{STATUS_LABELS[l.status]}</Tag>
      </Space>
      <Card size="small" style={{ marginBottom: 12 }}>
        <Steps size="small" current={(STAGES as readonly string[]).indexOf(l.stage)} status={l.status === "lost" ? "error" : undefined}
          items={STAGES.map((s) => ({ title: STAGE_LABELS[s] }))} responsive />
      </Card>
      <Row gutter={12}>
        <Col xs={24} lg={16}>
          <Card title="基本信息" size="small" style={{ marginBottom: 12 }}>
            <Descriptions size="small" column={{ xs: 1, sm: 2 }}>
              <Descriptions.Item label="企业">{l.company.name}</Descriptions.Item>
              <Descriptions.Item label="统一社会信用代码">{l.company.credit_code ?? "—"}</Descriptions.Item>
              <Descriptions.Item label="产业">{l.industry}</Descriptions.Item>
              <Descriptions.Item label="计划投资">{formatCny(l.investment_cny)}</Descriptions.Item>
              <Descriptions.Item label="用地">{formatMu(l.land_mu)}</Descriptions.Item>
              <Descriptions.Item label="地区">{l.region ?? "—"}</Descriptions.Item>
              <Descriptions.Item label="招商组">{l.team_name ?? (l.routing === "triage" ? "待人工分派" : "分派中")}</Descriptions.Item>
              <Descriptions.Item label="跟进人">{l.owner ?? "—"}</Descriptions.Item>
              <Descriptions.Item label="领衔县领导">{l.county_leader ?? "—"}</Descriptions.Item>
              <Descriptions.Item label="首次接触">{formatTime(l.first_contact_at)}</Descriptions.Item>
              {l.notes && <Descriptions.Item label="备注" span={2}>{l.notes}</Descriptions.Item>}
            </Descriptions>
          </Card>
          <Card title="问题与诉求" size="small" style={{ marginBottom: 12 }}
            extra={mayWork && <Space size={4} wrap>
              <Button size="small" onClick={() => navigate(`/problems/new?lead=${l.id}`)}>提出问题</Button>
              <Button size="small" onClick={() => navigate(`/policy/new?lead=${l.id}`)}>提交诉求</Button>
            </Space>}>
            <Typography.Text strong>未解决问题</Typography.Text>
            {l.open_problems?.length ? (
              <ul className="plain-list">{l.open_problems.map((p) => <li key={p.id}><Link to={`/problems/${p.id}`}>{p.title}</Link>（{p.owner_department}，{p.status_zh ?? p.status}）</li>)}</ul>
            ) : <p><Typography.Text type="secondary">{l.open_problems === null ? "暂时无法读取" : "暂无"}</Typography.Text></p>}
            <Typography.Text strong>办理中的诉求</Typography.Text>
            {l.open_requests?.length ? (
              <ul className="plain-list">{l.open_requests.map((r) => <li key={r.id}><Link to={`/policy/${r.id}`}>{r.enterprise ?? "诉求"}</Link>（{r.items?.length ?? 0} 项，{formatTime(r.due_at)} 前答复）</li>)}</ul>
            ) : <p><Typography.Text type="secondary">{l.open_requests === null ? "暂时无法读取" : "暂无"}</Typography.Text></p>}
          </Card>
          <Card title="四个一" size="small" style={{ marginBottom: 12 }} extra={mayWork && <Button onClick={() => setEditing(true)}>{l.four_ones ? "编辑四个一" : "设置四个一"}</Button>}>
            {l.four_ones ? (
              <Descriptions size="small" column={1}>
                <Descriptions.Item label="县级项目长">{projectLeadText(l.four_ones.project_lead)}</Descriptions.Item>
                <Descriptions.Item label="帮办服务组">{l.four_ones.service_group.name ?? ""}：{l.four_ones.service_group.members.map((m) => m.name + (m.department ? `（${m.department}）` : "")).join("、")}</Descriptions.Item>
                <Descriptions.Item label="计划安排书">{l.four_ones.plan.map((p) => `${p.label ?? p.milestone} ${p.planned_date}`).join("；")}</Descriptions.Item>
              </Descriptions>
            ) : <Typography.Text type="secondary">尚未设置。</Typography.Text>}
          </Card>
          <Card title="动态进度表：计划与实际" size="small" style={{ marginBottom: 12 }}>
            <ProgressPanel lead={l} progress={progress.data} mayWork={mayWork} onDone={reload} />
          </Card>
          <Card title="周期" size="small" style={{ marginBottom: 12 }}>
            <Table size="small" rowKey="key" pagination={false} dataSource={cycles.data?.cycle_times ?? []} columns={[
              { title: "环节", dataIndex: "label_zh" },
              { title: "起", dataIndex: "from_date", render: (v) => v ?? "—" },
              { title: "止", dataIndex: "to_date", render: (v) => v ?? "—" },
              { title: "天数", dataIndex: "days", render: (v) => (v == null ? "—" : `${v} 天`) },
            ]} />
          </Card>
        </Col>
        <Col xs={24} lg={8}>
          {mayWork && <Card title="变更阶段" size="small" style={{ marginBottom: 12 }}><StageMoveForm lead={l} role={role} onDone={reload} /></Card>}
          {mayWork && <Card title="变更状态" size="small" style={{ marginBottom: 12 }}><StatusForm lead={l} onDone={reload} /></Card>}
          {mayReassign && <Card title="改派" size="small" style={{ marginBottom: 12 }}><ReassignForm lead={l} onDone={reload} /></Card>}
          <Card title="变更记录" size="small" style={{ marginBottom: 12 }}>
            <Timeline items={[...(l.changes ?? []).map((c) => ({
              children: <><div>{formatTime(c.at)} · {c.by}</div><div>{describeChange(c, teamNames)}</div></>,
            })), ...(l.changes?.length ? [] : history.map((h) => ({ children: `${formatTime(h.at)} ${h.text}` })))].reverse()} />
          </Card>
          <Card title="阶段历程" size="small">
            <Timeline items={history.map((h) => ({ children: `${formatDate(h.at)} ${h.text}` }))} />
          </Card>
        </Col>
      </Row>
      {editing && <FourOnesEditor lead={l} open={editing} onClose={() => setEditing(false)} onDone={reload} />}
    </>
  );
}
