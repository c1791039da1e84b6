import { useEffect, useState } from "react";
import { Link, useParams } from "react-router";
import { App, Button, Card, DatePicker, Descriptions, Form, Input, Modal, Space, Spin, Table, Tag, Typography } from "antd";
import { useApi, useNow } from "../../lib/useApi";
import { useSession } from "../../lib/auth";
import { countdown, formatTime } from "../../lib/dates";
import { CATEGORY_LABELS, SLA_LABELS } from "../../lib/reference";
import { Countdown } from "../../components/Countdown";
import { applyProblem, FormError } from "../../components/FormError";
import { ApiError } from "../../lib/problems";
import { getRequest, itemDueAt, letterPdf, pauseItem, recordMeeting, replyItem, resumeItem, type Item, type PolicyRequest } from "./api";

const ITEM_STATUS: Record<string, { text: string; color: string }> = { open: { text: "办理中", color: "processing" }, paused: { text: "暂停（等待企业材料）", color: "warning" }, replied: { text: "已函复", color: "success" } };

function ItemClock({ request, item }: { request: PolicyRequest; item: Item }) {
  const now = useNow(1000);
  if (item.status === "replied") {
    const late = item.reply && new Date(item.reply.replied_at).getTime() > itemDueAt(request, item, now).dueMs;
    return <Tag color={late ? "volcano" : "blue"}>{late ? "超时函复" : "按时函复"}</Tag>;
  }
  const { dueMs, paused } = itemDueAt(request, item, now);
  if (paused) return <span>暂停中，时钟停止</span>;
  const c = countdown(new Date(dueMs).toISOString(), now);
  return <span className={c.overdue ? "overdue" : c.ms < 12 * 3600e3 ? "due-soon" : undefined}>{c.text}</span>;
}

function ReplyForm({ request, item, onDone, onCancel }: { request: PolicyRequest; item: Item; onDone: () => void; onCancel: () => void }) {
  const [form] = Form.useForm();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (v: { text: string; signer: string; reference_no: string }) => {
    setBusy(true); setError(null);
    try { await replyItem(request.id, item.n, { ...v, department: item.department }); onDone(); }
    catch (e) {
      // A 文号 is unique per department and year: the 409 says so beside the field.
      if (e instanceof ApiError && e.status === 409 && /reference/i.test(e.problem.detail ?? "")) {
        form.setFields([{ name: "reference_no", errors: ["该文号本部门本年度已使用"] }]);
      }
      applyProblem(form, e); setError(e);
    } finally { setBusy(false); }
  };
  return (
    <Modal open title={`盖章函复：第 ${item.n} 项 ${item.topic}`} onCancel={onCancel} onOk={() => form.submit()} okText="提交函复" confirmLoading={busy} width={640}>
      <FormError error={error} onRetry={() => form.submit()} />
      <Typography.Paragraph type="secondary">诉求：{item.text}</Typography.Paragraph>
      <Form form={form} layout="vertical" onFinish={submit}>
        <Form.Item label="承办部门（落款）"><Input aria-label="承办部门（落款）" value={item.department} disabled /></Form.Item>
        <Form.Item label="答复内容" name="text" rules={[{ required: true, whitespace: true, message: "请填写答复内容" }]}><Input.TextArea rows={4} maxLength={10000} /></Form.Item>
        <Space wrap>
          <Form.Item label="签发人" name="signer" rules={[{ required: true, whitespace: true, message: "请填写签发人" }]}><Input maxLength={200} /></Form.Item>
          <Form.Item label="文号" name="reference_no" rules={[{ required: true, whitespace: true, message: "请填写文号" }]} extra="本部门本年度内不可重复"><Input maxLength={60} placeholder="如：涟自然资函〔2026〕12号" /></Form.Item>
        </Space>
      </Form>
    </Modal>
  );
}

function MeetingForm({ request, onDone, onCancel }: { request: PolicyRequest; onDone: () => void; onCancel: () => void }) {
  const [form] = Form.useForm();
  const [error, setError] = useState<unknown>(null);
  const submit = async (v: any) => {
    setError(null);
    try {
      await recordMeeting(request.id, { held_at: v.held_at.format(), chair: v.chair, attendees: v.attendees.split(/[，,、\s]+/).filter(Boolean), minutes: v.minutes });
      onDone();
    } catch (e) { applyProblem(form, e); setError(e); }
  };
  return (
    <Modal open title="专题研究会商" onCancel={onCancel} onOk={() => form.submit()} okText="保存">
      <FormError error={error} onRetry={() => form.submit()} />
      <Form form={form} layout="vertical" onFinish={submit}>
        <Form.Item label="会商时间" name="held_at" rules={[{ required: true, message: "请选择时间" }]}><DatePicker showTime style={{ width: "100%" }} /></Form.Item>
        <Form.Item label="主持人" name="chair" rules={[{ required: true, whitespace: true, message: "请填写主持人" }]}><Input /></Form.Item>
        <Form.Item label="参会单位/人员（用顿号或逗号分隔）" name="attendees" rules={[{ required: true, whitespace: true, message: "请填写参会人员" }]}><Input /></Form.Item>
        <Form.Item label="会商纪要" name="minutes" rules={[{ required: true, whitespace: true, message: "请填写纪要" }]}><Input.TextArea rows={3} /></Form.Item>
      </Form>
    </Modal>
  );
}

function Letter({ request }: { request: PolicyRequest }) {
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = () => { setError(null); letterPdf(request.id).then((b) => setUrl(URL.createObjectURL(b)), setError); };
  useEffect(() => { load(); return () => { if (url) URL.revokeObjectURL(url); }; }, [request.id, request.items.filter((i) => i.reply).length]);
  return (
    <Card title="回复函（PDF）" size="small" extra={url && <a href={url} download={`回复函-${request.enterprise}.pdf`}>下载</a>}>
      <FormError error={error} onRetry={load} />
      {url ? <iframe title="回复函" src={url} style={{ width: "100%", height: 560, border: "1px solid #eee" }} /> : !error && <Spin />}
    </Card>
  );
}

export default function PolicyDetail() {
  const { id = "" } = useParams();
  const me = useSession()!.me;
  const { message } = App.useApp();
  const { data: r, error, reload } = useApi(() => getRequest(id), [id]);
  const [replying, setReplying] = useState<Item | null>(null);
  const [meeting, setMeeting] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);
  if (error) return <FormError error={error} onRetry={reload} />;
  if (!r) return <Spin />;
  const mine = (i: Item) => me.role === "admin" || (me.role === "department" && i.department === me.department);
  const mayPause = (i: Item) => me.role === "admin" || me.role === "team_member" || mine(i);
  const act = async (what: () => Promise<unknown>, done: string) => {
    setActionError(null);
    try { await what(); message.success(done); reload(); } catch (e) { setActionError(e); }
  };
  const sla = r.sla ?? { due_at: r.due_at, state: r.sla_state, elapsed_pct: 0, paused: false };
  return (
    <>
      <Space wrap align="center" style={{ marginBottom: 8 }}>
        <Typography.Title level={3} className="page-title" style={{ margin: 0 }}>{r.enterprise}：{r.items.length} 项诉求</Typography.Title>
        <Tag color={SLA_LABELS[sla.state]?.color}>{SLA_LABELS[sla.state]?.text ?? sla.state}</Tag>
        <Tag>{r.status === "closed" ? "已办结" : "办理中"}</Tag>
      </Space>
      <Card size="small" style={{ marginBottom: 12 }}>
        <Descriptions size="small" column={{ xs: 1, md: 3 }}>
          <Descriptions.Item label="项目"><Link to={`/leads/${r.lead_id}`}>{r.lead_title ?? r.lead_id}</Link></Descriptions.Item>
          <Descriptions.Item label="县级项目长">{r.project_lead ?? "—"}</Descriptions.Item>
          <Descriptions.Item label="收到时间">{formatTime(r.received_at)}</Descriptions.Item>
          <Descriptions.Item label="48 小时截止">{formatTime(sla.due_at)}</Descriptions.Item>
          <Descriptions.Item label="剩余时间">{r.status === "closed" ? `已于 ${formatTime(r.closed_at)} 办结` : <Countdown due={sla.due_at} start={r.received_at} />}</Descriptions.Item>
          <Descriptions.Item label="会商">{r.meeting ? `${formatTime(r.meeting.held_at)}，${r.meeting.chair}主持` : "未召开"}</Descriptions.Item>
        </Descriptions>
        {!r.meeting && ["admin", "leader", "team_member"].includes(me.role) && <Button onClick={() => setMeeting(true)}>记录专题研究会商</Button>}
      </Card>
      <FormError error={actionError} />
      <Card title="诉求事项" size="small" style={{ marginBottom: 12 }}>
        <Table<Item> rowKey="n" size="small" pagination={false} dataSource={r.items} scroll={{ x: 900 }}
          expandable={{ expandedRowRender: (i) => <>
            <p>诉求：{i.text}</p>
            {i.reply && <p>函复（{i.reply.reference_no}，签发人 {i.reply.signer}，{formatTime(i.reply.replied_at)}）：{i.reply.text}</p>}
          </> }}
          columns={[
            { title: "序号", dataIndex: "n", width: 60 },
            { title: "事项", dataIndex: "topic" },
            { title: "类别", dataIndex: "category", width: 90, render: (c: string) => CATEGORY_LABELS[c] ?? c },
            { title: "承办部门", dataIndex: "department" },
            { title: "状态", dataIndex: "status", width: 150, render: (s: string) => <Tag color={ITEM_STATUS[s]?.color}>{ITEM_STATUS[s]?.text ?? s}</Tag> },
            { title: "时限", key: "clock", width: 190, render: (_, i) => <ItemClock request={r} item={i} /> },
            { title: "操作", key: "op", width: 200, render: (_, i) => i.status === "replied" ? null : (
              <Space size={4} wrap>
                {mine(i) && <Button size="small" type="primary" onClick={() => setReplying(i)}>函复</Button>}
                {mayPause(i) && i.status === "open" && <Button size="small" onClick={() => act(() => pauseItem(r.id, i.n), `第 ${i.n} 项已暂停`)}>暂停</Button>}
                {mayPause(i) && i.status === "paused" && <Button size="small" onClick={() => act(() => resumeItem(r.id, i.n), `第 ${i.n} 项已恢复计时`)}>恢复</Button>}
              </Space>) },
          ]} />
      </Card>
      {r.items.some((i) => i.reply) && <Letter request={r} />}
      {replying && <ReplyForm request={r} item={replying} onCancel={() => setReplying(null)} onDone={() => { setReplying(null); message.success("已函复"); reload(); }} />}
      {meeting && <MeetingForm request={r} onCancel={() => setMeeting(false)} onDone={() => { setMeeting(false); reload(); }} />}
    </>
  );
}
