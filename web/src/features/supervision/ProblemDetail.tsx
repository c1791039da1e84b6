import { useEffect, useState } from "react";
import { Link, useParams } from "react-router";
import { Button, Card, Checkbox, DatePicker, Descriptions, Form, Grid, Input, List, Segmented, Space, Spin, Tag, Timeline, Typography } from "antd";
import { MinusCircleOutlined, PlusOutlined } from "@ant-design/icons";
import { useApi } from "../../lib/useApi";
import { useSession } from "../../lib/auth";
import { dayjs, formatDate, formatTime } from "../../lib/dates";
import { applyProblem, FormError } from "../../components/FormError";
import { Countdown } from "../../components/Countdown";
import { COMPLEXITY, getProblemFull, step, STATUS, type ProblemFull } from "./api";
import { nextSteps, openPlanSteps, STEP_LABELS, stepBody, type Step } from "./steps";

const DEADLINES: Record<string, string> = { feedback: "3个工作日内反馈", solve: "解决时限", progress_report: "月度进展报告" };
const HISTORY: Record<string, string> = { raised: "提出", feedback: "反馈", analysis: "分析", plan: "制定计划", progress_report: "报告进展", resolve: "解决", resolved: "解决" };

function StepForm({ p, what, onDone }: { p: ProblemFull; what: Step; onDone: () => void }) {
  const [form] = Form.useForm();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => { form.resetFields(); setError(null); }, [what]);
  const submit = async (v: Record<string, unknown>) => {
    setBusy(true); setError(null);
    try { await step(p.id, what, stepBody(what, v)); form.resetFields(); onDone(); }
    catch (e) { applyProblem(form, e); setError(e); } finally { setBusy(false); }
  };
  const area = (name: string, label: string) => (
    <Form.Item key={name} label={label} name={name} rules={[{ required: true, whitespace: true, message: `请填写${label}` }]}><Input.TextArea rows={3} maxLength={2000} /></Form.Item>
  );
  const open = openPlanSteps(p.plan);
  return (
    <Form form={form} layout="vertical" onFinish={submit} initialValues={what === "plan" ? { steps: p.plan ? p.plan.steps.map((s) => ({ step: s.step, due_date: dayjs(s.due_date) })) : [{}] } : {}}>
      <FormError error={error} onRetry={() => form.submit()} />
      {what === "feedback" && area("text", "反馈意见")}
      {what === "analysis" && <>{area("cause", "原因")}{area("approach", "解决思路")}</>}
      {what === "resolve" && area("resolution", "解决情况")}
      {what === "plan" && (<>
        <Typography.Paragraph type="secondary">短期内无法解决的问题，制定有时间节点的解决计划，此后每月报告进展。</Typography.Paragraph>
        <Form.List name="steps">
          {(fields, { add, remove }) => (<>
            {fields.map((f, i) => (
              <Space key={f.key} align="baseline" wrap style={{ display: "flex" }}>
                <Form.Item name={[f.name, "step"]} rules={[{ required: true, whitespace: true, message: "请填写步骤" }]}><Input aria-label={`步骤 ${i + 1}`} placeholder={`步骤 ${i + 1}`} maxLength={200} style={{ width: 280, maxWidth: "100%" }} /></Form.Item>
                <Form.Item name={[f.name, "due_date"]} rules={[{ required: true, message: "请选择完成日期" }]}><DatePicker aria-label={`步骤 ${i + 1} 完成日期`} placeholder="完成日期" /></Form.Item>
                {fields.length > 1 && <Button type="text" aria-label={`删除步骤 ${i + 1}`} icon={<MinusCircleOutlined />} onClick={() => remove(f.name)} />}
              </Space>))}
            <Form.Item><Button type="dashed" icon={<PlusOutlined />} onClick={() => add({})}>添加步骤</Button></Form.Item>
          </>)}
        </Form.List>
        <Form.Item label="计划说明" name="note"><Input.TextArea rows={2} maxLength={2000} /></Form.Item>
      </>)}
      {what === "progress_report" && (<>
        {area("text", "本月进展")}
        {open.length > 0 && (
          <Form.Item label="本月完成的步骤" name="steps_done">
            <Checkbox.Group options={open.map((s) => ({ value: s.n, label: `${s.n}. ${s.step}（${s.due_date}）` }))} />
          </Form.Item>)}
      </>)}
      <Button type="primary" htmlType="submit" loading={busy}>提交{STEP_LABELS[what]}</Button>
    </Form>
  );
}

export default function ProblemDetail() {
  const { id = "" } = useParams();
  const me = useSession()!.me;
  const { data: p, error: loadError, reload } = useApi(() => getProblemFull(id), [id]);
  const [chosen, setChosen] = useState<Step | undefined>();
  const phone = !Grid.useBreakpoint().md;
  if (loadError) return <FormError error={loadError} onRetry={reload} />;
  if (!p) return <Spin />;
  const steps = nextSteps(p.allowed_steps);
  // With a plan in place, the month's progress report is what is due; a new plan stays possible.
  const what = chosen && steps.includes(chosen) ? chosen : steps.includes("progress_report") ? "progress_report" : steps[0];
  const mayAct = me.role === "admin" || (me.role === "department" && me.department === p.owner_department);
  const deadlines = Object.entries(p.deadlines ?? {});
  return (
    <>
      <Space wrap align="center"><Typography.Title level={3} className="page-title" style={{ margin: 0 }}>{p.title}</Typography.Title><Tag color={p.status === "resolved" ? "green" : "orange"}>{STATUS[p.status] ?? p.status}</Tag></Space>
      <Card size="small" style={{ margin: "12px 0" }}>
        <Descriptions size="small" column={{ xs: 1, md: 2 }}>
          <Descriptions.Item label="项目"><Link to={`/leads/${p.lead_id}`}>{p.lead_title ?? "查看项目"}</Link></Descriptions.Item>
          <Descriptions.Item label="责任单位">{p.owner_department}</Descriptions.Item>
          <Descriptions.Item label="类型">{COMPLEXITY[p.complexity] ?? p.complexity}</Descriptions.Item>
          <Descriptions.Item label="提出">{formatTime(p.raised_at)} · {p.raised_by}{p.backdated ? "（补录）" : ""}</Descriptions.Item>
          <Descriptions.Item label="问题描述" span={2}>{p.description}</Descriptions.Item>
        </Descriptions>
      </Card>
      {deadlines.length > 0 && (
        <Card size="small" title="时限" style={{ marginBottom: 12 }}>
          <List size="small" dataSource={deadlines} renderItem={([slot, d]) => {
            const due = d.clock?.due_at ?? d.due_at;
            const left = d.stopped_at
              ? <Tag color={d.state === "met_late" ? "volcano" : "blue"}>{d.state === "met_late" ? "超时完成" : "按时完成"}</Tag>
              : due ? <Countdown due={due} start={d.clock?.started_at ?? p.raised_at} /> : null;
            return (
              <List.Item key={slot} extra={phone ? undefined : left}>
                <List.Item.Meta title={DEADLINES[slot] ?? slot} description={<>截止 {formatTime(due)}{phone && left && <div>{left}</div>}</>} />
              </List.Item>);
          }} />
        </Card>)}
      {(p.feedback || p.analysis || p.plan || p.resolution) && (
        <Card size="small" title="办理情况" style={{ marginBottom: 12 }}>
          <Descriptions size="small" column={1}>
            {p.feedback && <Descriptions.Item label="反馈">{p.feedback.text}（{p.feedback.by}，{formatTime(p.feedback.at)}）</Descriptions.Item>}
            {p.analysis && <Descriptions.Item label="原因">{p.analysis.cause}</Descriptions.Item>}
            {p.analysis && <Descriptions.Item label="解决思路">{p.analysis.approach}</Descriptions.Item>}
            {p.resolution && <Descriptions.Item label="解决情况">{p.resolution.text}（{p.resolution.by}，{formatTime(p.resolution.at)}）</Descriptions.Item>}
          </Descriptions>
          {p.plan && (<>
            <Typography.Text strong style={{ display: "block", marginTop: 12 }}>解决计划（第 {p.plan.revision} 版{p.plan.note ? `：${p.plan.note}` : ""}）</Typography.Text>
            <List size="small" dataSource={p.plan.steps} renderItem={(st) => (
              <List.Item key={st.n} className="plan-step">
                <List.Item.Meta title={`${st.n}. ${st.step}`}
                  description={<>计划 {st.due_date} 完成 · {st.done_at ? <Tag color="green">{formatDate(st.done_at)} 已完成</Tag> : "未完成"}</>} />
              </List.Item>)} />
          </>)}
          {(p.progress_reports ?? []).length > 0 && (
            <Timeline style={{ marginTop: 12 }} items={(p.progress_reports ?? []).map((r) => ({ children: `第 ${r.n} 次进展报告 · ${formatTime(r.at)} · ${r.by}：${r.text}${r.steps_done.length ? `（完成步骤 ${r.steps_done.join("、")}）` : ""}` }))} />
          )}
        </Card>)}
      {what && mayAct && (
        <Card size="small" title={`下一步：${STEP_LABELS[what]}`} style={{ marginBottom: 12 }}>
          {steps.length > 1 && <div style={{ marginBottom: 12 }}><Segmented value={what} onChange={(v) => setChosen(v as Step)} options={steps.map((s) => ({ value: s, label: STEP_LABELS[s] }))} /></div>}
          <StepForm p={p} what={what} onDone={reload} />
        </Card>
      )}
      <Card size="small" title="闭环记录">
        <Timeline items={p.history.map((h) => ({ children: `${formatTime(h.at)} · ${h.by} · ${HISTORY[h.step] ?? h.step}` }))} />
      </Card>
    </>
  );
}
