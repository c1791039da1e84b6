import { useCallback, useEffect, useRef, useState } from "react";
import { Link, useParams } from "react-router";
import { Alert, App, Button, Card, Form, Input, Radio, Typography } from "antd";
import { currentToken } from "../../lib/session";
import { newIdempotencyKey } from "../../lib/api";
import { dayjs } from "../../lib/dates";
import { FormError, applyProblem } from "../../components/FormError";
import { ApiError, type Problem } from "../../lib/problems";
import { INTEREST } from "./api";
import { enqueue, flush, readQueue, type QueuedVisit } from "./visitQueue";

function send(v: QueuedVisit): Promise<Response> {
  return fetch(`/api/v1/trips/${encodeURIComponent(v.tripId)}/visits`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${currentToken() ?? ""}`, "Idempotency-Key": v.key },
    body: JSON.stringify(v.body),
  });
}

export default function VisitForm() {
  const { id = "" } = useParams();
  const [form] = Form.useForm();
  const { message } = App.useApp();
  const [pending, setPending] = useState(() => readQueue(localStorage).length);
  const [online, setOnline] = useState(() => navigator.onLine);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const flushing = useRef(false);

  const sendQueued = useCallback(async () => {
    if (flushing.current || !readQueue(localStorage).length) return;
    flushing.current = true;
    try {
      const r = await flush(localStorage, send);
      if (r.sent) message.success(`已补发 ${r.sent} 条离线走访记录`);
      if (r.refused.length) message.error(`${r.refused.length} 条离线记录被拒收：${r.refused.map((v) => v.body.company).join("、")}`);
    } finally {
      flushing.current = false;
      setPending(readQueue(localStorage).length);
    }
  }, [message]);

  useEffect(() => {
    const up = () => { setOnline(true); sendQueued(); };
    const down = () => setOnline(false);
    window.addEventListener("online", up);
    window.addEventListener("offline", down);
    sendQueued();
    const t = setInterval(sendQueued, 15_000);
    return () => { window.removeEventListener("online", up); window.removeEventListener("offline", down); clearInterval(t); };
  }, [sendQueued]);

  const submit = async (v: any) => {
    setBusy(true); setError(null);
    const body: Record<string, unknown> = { company: v.company.trim(), visited_at: dayjs().format() };
    for (const k of ["outcome", "interest", "next_step", "notes"]) if (v[k]) body[k] = v[k];
    if (v.contact_name) body.contact = { name: v.contact_name, ...(v.contact_phone ? { phone: v.contact_phone } : {}) };
    const visit: QueuedVisit = { key: newIdempotencyKey(), tripId: id, body, queuedAt: new Date().toISOString() };
    const keep = () => { enqueue(localStorage, visit); setPending(readQueue(localStorage).length); form.resetFields(); message.info("暂无网络：走访记录已保存在本机，联网后自动发送"); };
    try {
      if (!navigator.onLine) { keep(); return; }
      let r: Response;
      try { r = await send(visit); } catch { keep(); return; }
      if (r.status >= 500) { keep(); return; }
      if (!r.ok) {
        let problem: Problem = { status: r.status };
        try { problem = { ...(await r.json()), status: r.status }; } catch { /* not JSON */ }
        const e = new ApiError(r.status, problem);
        applyProblem(form, e); setError(e); return;
      }
      form.resetFields();
      message.success("走访记录已保存");
    } finally { setBusy(false); }
  };

  return (
    <div className="phone-form">
      <Typography.Title level={3} className="page-title">记录走访</Typography.Title>
      <Link to={`/trips/${id}`}>返回行程</Link>
      {!online && <Alert type="warning" showIcon style={{ margin: "8px 0" }} message="当前无网络，提交的记录会先保存在本机" />}
      {pending > 0 && <Alert type="info" showIcon style={{ margin: "8px 0" }} message={`本机有 ${pending} 条待发送的走访记录`}
        action={online ? <Button size="small" onClick={sendQueued}>立即发送</Button> : undefined} />}
      <FormError error={error} onRetry={() => form.submit()} />
      <Card size="small" style={{ marginTop: 8 }}>
        <Form form={form} layout="vertical" onFinish={submit} size="large">
          <Form.Item label="走访企业" name="company" rules={[{ required: true, whitespace: true, message: "请填写企业名称" }]}><Input maxLength={200} autoComplete="organization" /></Form.Item>
          <Form.Item label="投资意向" name="interest">
            <Radio.Group optionType="button" options={Object.entries(INTEREST).map(([value, label]) => ({ value, label }))} />
          </Form.Item>
          <Form.Item label="洽谈结果" name="outcome"><Input.TextArea rows={3} maxLength={5000} /></Form.Item>
          <Form.Item label="下一步" name="next_step"><Input maxLength={1000} /></Form.Item>
          <Form.Item label="联系人" name="contact_name"><Input maxLength={100} /></Form.Item>
          <Form.Item label="联系电话" name="contact_phone"><Input type="tel" maxLength={40} /></Form.Item>
          <Form.Item label="备注" name="notes"><Input.TextArea rows={2} maxLength={5000} /></Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy}>保存走访</Button>
        </Form>
      </Card>
    </div>
  );
}
