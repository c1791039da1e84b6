import { useState } from "react";
import { Link, useParams } from "react-router";
import { Button, Card, Descriptions, Form, Input, Space, Spin, Tag, Typography } from "antd";
import { useApi } from "../../lib/useApi";
import { useSession } from "../../lib/auth";
import { formatTime } from "../../lib/dates";
import { applyProblem, FormError } from "../../components/FormError";
import { COMPLEXITY, getProblem, step, STATUS } from "./api";

// The next step of the loop, the field it asks for, and its label.
const NEXT: Record<string, { what: "feedback" | "analysis" | "resolve"; label: string; fields: [string, string][] }> = {
  raised: { what: "feedback", label: "反馈", fields: [["text", "反馈意见"]] },
  feedback_given: { what: "analysis", label: "分析", fields: [["cause", "原因"], ["approach", "解决思路"]] },
  analysed: { what: "resolve", label: "解决", fields: [["resolution", "解决情况"]] },
};

export default function ProblemDetail() {
  const { id = "" } = useParams();
  const me = useSession()!.me;
  const [form] = Form.useForm();
  const [error, setError] = useState<unknown>(null);
  const { data: p, error: loadError, reload } = useApi(() => getProblem(id), [id]);
  if (loadError) return <FormError error={loadError} onRetry={reload} />;
  if (!p) return <Spin />;
  const next = NEXT[p.status];
  const mayAct = me.role === "admin" || (me.role === "department" && me.department === p.owner_department);
  const submit = async (v: Record<string, string>) => {
    setError(null);
    try { await step(p.id, next.what, v); form.resetFields(); reload(); } catch (e) { applyProblem(form, e); setError(e); }
  };
  return (
    <>
      <Space wrap align="center"><Typography.Title level={3} className="page-title" style={{ margin: 0 }}>{p.title}</Typography.Title><Tag>{STATUS[p.status] ?? p.status}</Tag></Space>
      <Card size="small" style={{ margin: "12px 0" }}>
        <Descriptions size="small" column={{ xs: 1, md: 2 }}>
          <Descriptions.Item label="项目"><Link to={`/leads/${p.lead_id}`}>{p.lead_title ?? "查看项目"}</Link></Descriptions.Item>
          <Descriptions.Item label="责任单位">{p.owner_department}</Descriptions.Item>
          <Descriptions.Item label="类型">{COMPLEXITY[p.complexity] ?? p.complexity}</Descriptions.Item>
          <Descriptions.Item label="提出时间">{formatTime(p.raised_at)}</Descriptions.Item>
          <Descriptions.Item label="问题描述" span={2}>{p.description}</Descriptions.Item>
        </Descriptions>
      </Card>
      {next && mayAct && (
        <Card size="small" title={`下一步：${next.label}`}>
          <FormError error={error} onRetry={() => form.submit()} />
          <Form form={form} layout="vertical" onFinish={submit}>
            {next.fields.map(([name, label]) => <Form.Item key={name} label={label} name={name} rules={[{ required: true, whitespace: true, message: `请填写${label}` }]}><Input.TextArea rows={3} /></Form.Item>)}
            <Button type="primary" htmlType="submit">提交{next.label}</Button>
          </Form>
        </Card>
      )}
    </>
  );
}
