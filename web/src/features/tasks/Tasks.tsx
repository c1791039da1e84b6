import { useEffect, useState } from "react";
import { useSearchParams } from "react-router";
import {
  App, Button, Card, Checkbox, Col, DatePicker, Form, Input, InputNumber, List, Modal, Row, Select, Space, Statistic, Table, Tabs,
  Tag, Typography,
} from "antd";
import { DownloadOutlined, PlusOutlined } from "@ant-design/icons";
import { download, newIdempotencyKey } from "../../lib/api";
import { useApi } from "../../lib/useApi";
import { useSession } from "../../lib/auth";
import { dayjs, formatTime } from "../../lib/dates";
import { leaders, type LeaderAccount } from "../../lib/reference";
import { keepsIdempotencyKey } from "../../lib/problems";
import { applyProblem, FormError } from "../../components/FormError";
import { createTask, getTask, listTasks, monthly, updateTask, weekly, type TaskQuery } from "./api";
import { AREAS, isoWeekOf, mayAssign, mayRecordProgress, monthOf, progressBody, TASK_STATUSES, type Task } from "./tasks";

const leaderChoices = (list: LeaderAccount[]) => list.map((l) => ({ value: l.username, label: `${l.display_name}（${l.username}）` }));
const STATE_COLORS: Record<string, string> = { done: "green", done_late: "orange", open: "blue", overdue: "red", late: "orange", carried_over: "red", pending: "blue" };

function AssignForm({ open, onClose, onDone, leaderList }: { open: boolean; onClose: () => void; onDone: () => void; leaderList: LeaderAccount[] }) {
  const [form] = Form.useForm();
  const [error, setError] = useState<unknown>(null);
  const [key, setKey] = useState(newIdempotencyKey);
  const submit = async (v: { title: string; area: string; leader: string; due_date: dayjs.Dayjs; details?: string }) => {
    setError(null);
    try {
      await createTask({ ...v, due_date: v.due_date.format("YYYY-MM-DD"), details: v.details?.trim() || undefined }, key);
      form.resetFields(); setKey(newIdempotencyKey()); onDone(); onClose();
    } catch (e) { applyProblem(form, e); setError(e); if (!keepsIdempotencyKey(e)) setKey(newIdempotencyKey()); }
  };
  return (
    <Modal open={open} title="交办县领导任务" onCancel={onClose} onOk={() => form.submit()} okText="交办" forceRender>
      <FormError error={error} onRetry={() => form.submit()} />
      <Form form={form} name="task-assign" layout="vertical" onFinish={submit}>
        <Form.Item label="任务" name="title" rules={[{ required: true, whitespace: true, message: "请填写任务" }]}><Input maxLength={200} /></Form.Item>
        <Form.Item label="工作领域" name="area" rules={[{ required: true, message: "请选择工作领域" }]}><Select options={AREAS} /></Form.Item>
        <Form.Item label="责任县领导" name="leader" rules={[{ required: true, message: "请选择县领导" }]}>
          <Select showSearch optionFilterProp="label" options={leaderChoices(leaderList)} notFoundContent="没有该县领导账户" />
        </Form.Item>
        <Form.Item label="到期日期" name="due_date" rules={[{ required: true, message: "请选择到期日期" }]}><DatePicker style={{ width: "100%" }} /></Form.Item>
        <Form.Item label="任务说明" name="details"><Input.TextArea rows={2} maxLength={2000} /></Form.Item>
      </Form>
    </Modal>
  );
}

function ProgressForm({ task, onClose, onDone }: { task: Task | null; onClose: () => void; onDone: () => void }) {
  const [form] = Form.useForm();
  const [error, setError] = useState<unknown>(null);
  useEffect(() => { if (task) { form.setFieldsValue({ progress_pct: task.progress_pct, progress_note: "", done: false }); setError(null); } }, [task, form]);
  const submit = async (v: { progress_pct: number; progress_note?: string; done?: boolean }) => {
    if (!task) return;
    setError(null);
    try { await updateTask(task.id, progressBody(v)); onDone(); onClose(); } catch (e) { applyProblem(form, e); setError(e); }
  };
  return (
    <Modal open={!!task} title={`记录进展：${task?.title ?? ""}`} onCancel={onClose} onOk={() => form.submit()} okText="保存进展" forceRender>
      <FormError error={error} onRetry={() => form.submit()} />
      <Form form={form} name="task-progress" layout="vertical" onFinish={submit}>
        <Form.Item label="完成进度（%）" name="progress_pct" rules={[{ required: true, message: "请填写完成进度" }]}>
          <InputNumber min={0} max={100} style={{ width: "100%" }} />
        </Form.Item>
        <Form.Item name="done" valuePropName="checked"><Checkbox>已完成（记为 100%）</Checkbox></Form.Item>
        <Form.Item label="进展说明" name="progress_note"><Input.TextArea rows={3} maxLength={2000} /></Form.Item>
      </Form>
      {task?.history.length ? (
        <List size="small" header="进展记录" dataSource={[...task.history].reverse()} renderItem={(h) => (
          <List.Item>{formatTime(h.at)} · {h.by} · {h.progress_pct}%{h.note ? `：${h.note}` : ""}</List.Item>)} />
      ) : null}
    </Modal>
  );
}

function TaskList() {
  const me = useSession()!.me;
  const [params, setParams] = useSearchParams();
  const [q, setQ] = useState<TaskQuery>({ page: 1, page_size: 20, ...(me.role === "leader" ? { leader: me.username } : {}) });
  const tasks = useApi(() => listTasks(q), [JSON.stringify(q)]);
  const leaderList = useApi(() => leaders(), []);
  const [assigning, setAssigning] = useState(false);
  const [recording, setRecording] = useState<Task | null>(null);
  // A link to one task (from the workbench) opens its progress form.
  const linked = params.get("task");
  useEffect(() => {
    if (linked) getTask(linked).then((t) => { setRecording(t); setParams({}, { replace: true }); }, () => setParams({}, { replace: true }));
  }, [linked, setParams]);
  const set = (patch: TaskQuery) => setQ((old) => ({ ...old, page: 1, ...patch }));
  return (
    <>
      <Space wrap style={{ marginBottom: 12 }}>
        <Select aria-label="按县领导筛选" placeholder="县领导" allowClear showSearch optionFilterProp="label" style={{ width: 200 }} value={q.leader}
          options={leaderChoices(leaderList.data ?? [])} onChange={(v) => set({ leader: v })} />
        <Select aria-label="按工作领域筛选" placeholder="工作领域" allowClear style={{ width: 140 }} value={q.area} options={AREAS} onChange={(v) => set({ area: v })} />
        <Select aria-label="按状态筛选" placeholder="状态" allowClear style={{ width: 120 }} value={q.status} options={TASK_STATUSES} onChange={(v) => set({ status: v })} />
        {mayAssign(me.role) && <Button type="primary" icon={<PlusOutlined />} onClick={() => setAssigning(true)}>交办任务</Button>}
      </Space>
      <FormError error={tasks.error} onRetry={tasks.reload} />
      <Table<Task> rowKey="id" size="small" loading={tasks.loading} dataSource={tasks.data?.items ?? []} scroll={{ x: 760 }}
        locale={{ emptyText: "暂无任务" }}
        pagination={{ current: q.page, pageSize: q.page_size, total: tasks.data?.total ?? 0, onChange: (page) => setQ((o) => ({ ...o, page })) }}
        columns={[
          { title: "任务", dataIndex: "title" },
          { title: "工作领域", dataIndex: "area_zh", width: 100 },
          { title: "县领导", dataIndex: "leader_name", width: 100 },
          { title: "到期", dataIndex: "due_date", width: 110, render: (d: string, t) => <span className={t.overdue ? "overdue" : undefined}>{d}{t.overdue ? "（已逾期）" : ""}</span> },
          { title: "完成", dataIndex: "progress_pct", width: 70, render: (p: number) => `${p}%` },
          { title: "状态", dataIndex: "status_zh", width: 90, render: (s: string, t) => <Tag color={t.status === "done" ? "green" : t.overdue ? "red" : "blue"}>{s}</Tag> },
          { title: "最新进展", dataIndex: "progress_note", render: (n?: string | null) => n ?? "—" },
          { title: "操作", key: "op", width: 100, render: (_: unknown, t) => mayRecordProgress(t, me) && t.status !== "done" && (
            <Button size="small" onClick={() => setRecording(t)}>记录进展</Button>) },
        ]} />
      <AssignForm open={assigning} onClose={() => setAssigning(false)} onDone={tasks.reload} leaderList={leaderList.data ?? []} />
      <ProgressForm task={recording} onClose={() => setRecording(null)} onDone={tasks.reload} />
    </>
  );
}

function Downloader({ path, filename, query }: { path: string; filename: string; query: Record<string, string | undefined> }) {
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const go = async () => {
    setBusy(true);
    try { await download(path, filename, query); } catch (e) { message.error(String((e as Error).message ?? e)); } finally { setBusy(false); }
  };
  return <Button icon={<DownloadOutlined />} loading={busy} onClick={go}>下载 Excel</Button>;
}

function PeriodHead({ title, status, final, picker }: { title: string; status: string; final: boolean; picker: React.ReactNode }) {
  return (
    <Space wrap align="center" style={{ marginBottom: 12 }}>
      {picker}
      <Typography.Title level={5} style={{ margin: 0 }}>{title}</Typography.Title>
      <Tag color={final ? "default" : "processing"}>{status}</Tag>
    </Space>
  );
}

function WeeklyArrangement() {
  const [day, setDay] = useState(() => dayjs());
  const week = isoWeekOf(day);
  const report = useApi(() => weekly(week), [week]);
  const r = report.data;
  return (
    <>
      <PeriodHead title={r?.title_zh ?? "周安排"} status={r?.status_zh ?? ""} final={!!r?.final}
        picker={<><DatePicker picker="week" aria-label="选择周" allowClear={false} value={day} onChange={(d) => d && setDay(d)} />
          <Downloader path="/api/v1/tasks/weekly.xlsx" filename={`县领导任务周安排-${week}.xlsx`} query={{ week }} /></>} />
      <FormError error={report.error} onRetry={report.reload} />
      <Table rowKey="leader" size="small" loading={report.loading} dataSource={r?.leaders ?? []} pagination={false} scroll={{ x: 520 }}
        locale={{ emptyText: "本周没有到期的任务" }} style={{ marginBottom: 12 }}
        columns={[
          { title: "县领导", dataIndex: "leader_name" }, { title: "本周到期", dataIndex: "due" }, { title: "已完成", dataIndex: "done" },
          { title: "已逾期", dataIndex: "overdue", render: (n: number) => <span className={n ? "overdue" : undefined}>{n}</span> },
          { title: "上周结转", dataIndex: "carried_in" },
        ]} />
      <Table rowKey="id" size="small" dataSource={r?.rows ?? []} pagination={false} scroll={{ x: 700 }} locale={{ emptyText: "暂无任务" }}
        columns={[
          { title: "县领导", dataIndex: "leader_name", width: 100 }, { title: "工作领域", dataIndex: "area_zh", width: 100 },
          { title: "任务", dataIndex: "title" }, { title: "到期", dataIndex: "due_date", width: 110 },
          { title: "完成", dataIndex: "progress_pct", width: 70, render: (p: number) => `${p}%` },
          { title: "状态", dataIndex: "state_zh", width: 100, render: (s: string, row) => <Tag color={STATE_COLORS[row.state]}>{s}{row.carried_in ? "（结转）" : ""}</Tag> },
        ]} />
    </>
  );
}

function MonthlyExchange() {
  const [day, setDay] = useState(() => dayjs());
  const month = monthOf(day);
  const report = useApi(() => monthly(month), [month]);
  const r = report.data;
  const totals = r?.totals;
  return (
    <>
      <PeriodHead title={r?.title_zh ?? "月交流"} status={r?.status_zh ?? ""} final={!!r?.final}
        picker={<><DatePicker picker="month" aria-label="选择月份" allowClear={false} value={day} onChange={(d) => d && setDay(d)} />
          <Downloader path="/api/v1/tasks/monthly.xlsx" filename={`县领导任务月交流-${month}.xlsx`} query={{ month }} /></>} />
      <FormError error={report.error} onRetry={report.reload} />
      <Row gutter={[12, 12]} style={{ marginBottom: 12 }}>
        {([["本月任务", totals?.tasks], ["按期完成", totals?.done], ["逾期完成", totals?.late], ["结转下月", totals?.carried_over], ["未到期", totals?.pending]] as const).map(([t, v]) => (
          <Col key={t} xs={8} md={4}><Card size="small"><Statistic title={t} value={v ?? 0} /></Card></Col>))}
      </Row>
      <Table rowKey="leader" size="small" loading={report.loading} dataSource={r?.leaders ?? []} pagination={false} scroll={{ x: 560 }}
        locale={{ emptyText: "本月没有任务" }} style={{ marginBottom: 12 }}
        columns={[
          { title: "县领导", dataIndex: "leader_name" }, { title: "任务数", dataIndex: "tasks" }, { title: "按期完成", dataIndex: "done" },
          { title: "逾期完成", dataIndex: "late" }, { title: "结转下月", dataIndex: "carried_over", render: (n: number) => <span className={n ? "overdue" : undefined}>{n}</span> },
          { title: "未到期", dataIndex: "pending" },
        ]} />
      <Table rowKey="id" size="small" dataSource={r?.rows ?? []} pagination={false} scroll={{ x: 700 }} locale={{ emptyText: "暂无任务" }}
        columns={[
          { title: "县领导", dataIndex: "leader_name", width: 100 }, { title: "工作领域", dataIndex: "area_zh", width: 100 },
          { title: "任务", dataIndex: "title" }, { title: "到期", dataIndex: "due_date", width: 110 },
          { title: "完成日期", dataIndex: "done_on", width: 110, render: (d?: string | null) => d ?? "—" },
          { title: "结果", dataIndex: "outcome_zh", width: 100, render: (s: string, row) => <Tag color={STATE_COLORS[row.outcome]}>{s}</Tag> },
        ]} />
    </>
  );
}

export default function Tasks() {
  return (
    <>
      <Typography.Title level={3} className="page-title">县领导任务</Typography.Title>
      <Typography.Paragraph type="secondary">县委常委五个方面任务：督查室交办，县领导记录进展；周安排、月交流可下载 Excel。</Typography.Paragraph>
      <Card size="small">
        <Tabs items={[
          { key: "list", label: "任务清单", children: <TaskList /> },
          { key: "weekly", label: "周安排", children: <WeeklyArrangement /> },
          { key: "monthly", label: "月交流", children: <MonthlyExchange /> },
        ]} />
      </Card>
    </>
  );
}
