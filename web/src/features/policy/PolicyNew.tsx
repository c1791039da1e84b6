import { useEffect, useRef, useState } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { App, Button, Card, Col, DatePicker, Form, Input, Row, Select, Space, Tag, Typography } from "antd";
import { MinusCircleOutlined, PlusOutlined } from "@ant-design/icons";
import { cleanQuery, client, newIdempotencyKey, unwrap } from "../../lib/api";
import { dayjs } from "../../lib/dates";
import { CATEGORY_LABELS, policyRoutes, units, type PolicyRoute, type Unit } from "../../lib/reference";
import { applyProblem, FormError } from "../../components/FormError";
import { keepsIdempotencyKey } from "../../lib/problems";
import { submitRequest } from "./api";

interface LeadOption { id: string; title: string; company: { name: string } }

export default function PolicyNew() {
  const [form] = Form.useForm();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const { message } = App.useApp();
  const [routes, setRoutes] = useState<PolicyRoute[]>([]);
  const [unitList, setUnits] = useState<Unit[]>([]);
  const [leads, setLeads] = useState<LeadOption[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const key = useRef(newIdempotencyKey());
  const items = Form.useWatch("items", form) as { category?: string; department?: string }[] | undefined;

  const searchLeads = (q?: string) => unwrap<{ items: LeadOption[] }>(client.GET("/api/v1/leads", { params: { query: cleanQuery({ q, page_size: 20 }) as never } }))
    .then((d) => setLeads(d.items), () => undefined);
  useEffect(() => {
    policyRoutes().then(setRoutes, setError);
    units().then(setUnits, () => undefined);
    searchLeads();
    if (params.get("lead")) form.setFieldValue("lead_id", params.get("lead"));
  }, []);

  const routeOf = (category?: string) => routes.find((r) => r.category === category)?.department;

  const submit = async (v: any) => {
    setBusy(true); setError(null);
    const body = {
      lead_id: v.lead_id, enterprise: v.enterprise,
      ...(v.received_at ? { received_at: v.received_at.format() } : {}),
      items: v.items.map((i: any) => ({ topic: i.topic, category: i.category, text: i.text, ...(i.department ? { department: i.department } : {}) })),
    };
    try {
      const created = await submitRequest(body, key.current);
      message.success(`已受理 ${created.items.length} 项诉求，48 小时内答复`);
      navigate(`/policy/${created.id}`);
    } catch (e) { if (!keepsIdempotencyKey(e)) key.current = newIdempotencyKey(); applyProblem(form, e); setError(e); } finally { setBusy(false); }
  };

  return (
    <>
      <Typography.Title level={3} className="page-title">批量提交政策和要素保障诉求</Typography.Title>
      <Card>
        <FormError error={error} onRetry={() => form.submit()} />
        <Form form={form} layout="vertical" onFinish={submit} initialValues={{ items: [{}] }} scrollToFirstError>
          <Row gutter={16}>
            <Col xs={24} md={10}>
              <Form.Item label="所属项目" name="lead_id" rules={[{ required: true, message: "请选择项目" }]}>
                <Select showSearch filterOption={false} onSearch={(q) => searchLeads(q || undefined)} placeholder="输入项目或企业名称搜索"
                  options={leads.map((l) => ({ value: l.id, label: `${l.title}（${l.company.name}）` }))}
                  onChange={(id) => { const l = leads.find((x) => x.id === id); if (l && !form.getFieldValue("enterprise")) form.setFieldValue("enterprise", l.company.name); }} />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}><Form.Item label="提出诉求的企业" name="enterprise" rules={[{ required: true, whitespace: true, message: "请填写企业" }]}><Input maxLength={200} /></Form.Item></Col>
            <Col xs={24} md={6}><Form.Item label="收到时间" name="received_at" extra="纸质收件可补录，不能晚于现在"><DatePicker showTime style={{ width: "100%" }} disabledDate={(d) => d.isAfter(dayjs())} /></Form.Item></Col>
          </Row>
          <Form.List name="items" rules={[{ validator: async (_, list) => { if (!list || list.length < 1) throw new Error("至少一项诉求"); if (list.length > 50) throw new Error("一次最多 50 项"); } }]}>
            {(fields, { add, remove }, { errors }) => (<>
              {fields.map((f, index) => {
                const item = items?.[index];
                const goesTo = item?.department || routeOf(item?.category);
                return (
                  <Card key={f.key} size="small" style={{ marginBottom: 8 }} title={`第 ${index + 1} 项`}
                    extra={<Space>{goesTo ? <Tag color="blue">将转至：{goesTo}</Tag> : <Tag>选择类别后显示承办部门</Tag>}
                      {fields.length > 1 && <Button type="text" aria-label={`删除第 ${index + 1} 项`} icon={<MinusCircleOutlined />} onClick={() => remove(f.name)} />}</Space>}>
                    <Row gutter={12}>
                      <Col xs={24} md={8}><Form.Item label="事项" name={[f.name, "topic"]} rules={[{ required: true, whitespace: true, message: "请填写事项" }]}><Input maxLength={200} /></Form.Item></Col>
                      <Col xs={24} md={6}><Form.Item label="类别" name={[f.name, "category"]} rules={[{ required: true, message: "请选择类别" }]}>
                        <Select options={Object.entries(CATEGORY_LABELS).map(([value, label]) => ({ value, label }))} /></Form.Item></Col>
                      <Col xs={24} md={10}><Form.Item label="承办部门（默认按类别）" name={[f.name, "department"]}>
                        <Select allowClear showSearch placeholder={routeOf(item?.category) ?? "按类别自动确定"} options={unitList.filter((u) => u.kind === "department").map((u) => ({ value: u.name, label: u.name }))} /></Form.Item></Col>
                      <Col span={24}><Form.Item label="诉求内容" name={[f.name, "text"]} rules={[{ required: true, whitespace: true, message: "请填写诉求内容" }]}><Input.TextArea rows={2} maxLength={5000} /></Form.Item></Col>
                    </Row>
                  </Card>);
              })}
              <Form.ErrorList errors={errors} />
              <Button type="dashed" icon={<PlusOutlined />} disabled={fields.length >= 50} onClick={() => add({})} style={{ marginBottom: 12 }}>添加一项（{fields.length}/50）</Button>
            </>)}
          </Form.List>
          <div><Button type="primary" htmlType="submit" loading={busy}>提交诉求</Button></div>
        </Form>
      </Card>
    </>
  );
}
