import { useEffect, useRef, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { App, Button, Card, Col, DatePicker, Form, Input, Radio, Row, Select, Typography } from "antd";
import { cleanQuery, client, newIdempotencyKey, unwrap } from "../../lib/api";
import { dayjs } from "../../lib/dates";
import { units, type Unit } from "../../lib/reference";
import { applyProblem, FormError } from "../../components/FormError";
import { keepsIdempotencyKey } from "../../lib/problems";
import { raiseProblem } from "./api";
import { raiseBody } from "./steps";

interface LeadOption { id: string; title: string; company: { name: string } }
const UNIT_KINDS: Record<string, string> = { department: "县直部门", town: "镇街" };

/** 发现—提出: a team member raises a problem a project met to the unit that owns it. */
export default function ProblemNew() {
  const [form] = Form.useForm();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const { message } = App.useApp();
  const [unitList, setUnits] = useState<Unit[]>([]);
  const [leads, setLeads] = useState<LeadOption[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const key = useRef(newIdempotencyKey());
  const lead = params.get("lead");

  const searchLeads = (q?: string) => unwrap<{ items: LeadOption[] }>(client.GET("/api/v1/leads", { params: { query: cleanQuery({ q, page_size: 20 }) as never } }))
    .then((d) => setLeads(d.items), () => undefined);
  useEffect(() => {
    units().then(setUnits, setError);
    searchLeads();
    if (lead) {
      form.setFieldValue("lead_id", lead);
      unwrap<LeadOption>(client.GET("/api/v1/leads/{lead_id}", { params: { path: { lead_id: lead } } }))
        .then((l) => setLeads((list) => (list.some((x) => x.id === l.id) ? list : [l, ...list])), () => undefined);
    }
  }, []);

  const groups = Object.entries(UNIT_KINDS).map(([kind, label]) => ({
    label, options: unitList.filter((u) => u.kind === kind).map((u) => ({ value: u.name, label: u.name })),
  })).filter((g) => g.options.length);

  const submit = async (v: any) => {
    setBusy(true); setError(null);
    try {
      const created = await raiseProblem(raiseBody(v), key.current);
      message.success(`问题已提出，${created.owner_department}须在 3 个工作日内反馈`);
      navigate(`/problems/${created.id}`);
    } catch (e) { if (!keepsIdempotencyKey(e)) key.current = newIdempotencyKey(); applyProblem(form, e); setError(e); } finally { setBusy(false); }
  };

  return (
    <>
      <Typography.Title level={3} className="page-title">提出问题</Typography.Title>
      <Typography.Paragraph type="secondary">项目推进中遇到的问题提交给责任单位：3 个工作日内反馈，一般问题 7 日内、复杂问题 1 个月内解决。</Typography.Paragraph>
      <Card>
        <FormError error={error} onRetry={() => form.submit()} />
        <Form form={form} layout="vertical" onFinish={submit} initialValues={{ complexity: "general" }} scrollToFirstError>
          <Row gutter={16}>
            <Col xs={24} md={12}>
              <Form.Item label="所属项目" name="lead_id" rules={[{ required: true, message: "请选择项目" }]}>
                <Select showSearch filterOption={false} onSearch={(q) => searchLeads(q || undefined)} placeholder="输入项目或企业名称搜索"
                  options={leads.map((l) => ({ value: l.id, label: `${l.title}（${l.company.name}）` }))} />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item label="责任单位" name="owner_department" rules={[{ required: true, message: "请选择责任单位" }]}>
                <Select showSearch placeholder="选择县直部门或镇街" options={groups} />
              </Form.Item>
            </Col>
            <Col span={24}>
              <Form.Item label="问题标题" name="title" rules={[{ required: true, whitespace: true, message: "请填写问题标题" }]}><Input maxLength={200} /></Form.Item>
            </Col>
            <Col span={24}>
              <Form.Item label="问题描述" name="description" rules={[{ required: true, whitespace: true, message: "请描述问题" }]}><Input.TextArea rows={4} maxLength={2000} showCount /></Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item label="问题类型" name="complexity">
                <Radio.Group options={[{ value: "general", label: "一般问题（7日内解决）" }, { value: "complex", label: "复杂问题（1个月内解决）" }]} />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item label="提出时间" name="raised_at" extra="不填为现在；会上已提出的可补录（7 天内）">
                <DatePicker showTime style={{ width: "100%" }} disabledDate={(d) => d.isAfter(dayjs())} />
              </Form.Item>
            </Col>
          </Row>
          <Button type="primary" htmlType="submit" loading={busy}>提出问题</Button>
          {lead && <Link to={`/leads/${lead}`} style={{ marginLeft: 16 }}>返回项目</Link>}
        </Form>
      </Card>
    </>
  );
}
