import { useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { Card, Col, DatePicker, Form, Input, Row, Select, Table, Typography } from "antd";
import { cleanQuery, client, unwrap } from "../../lib/api";
import type { components } from "../../lib/api-types";
import { dayjs } from "../../lib/dates";
import { SheetImport } from "../../components/SheetImport";

type Answer = components["schemas"]["PolicyImport"];
interface LeadOption { id: string; title: string; company: { name: string } }

function outcome(a: Answer) {
  return (
    <>
      <div>{a.already_imported ? "该文件此前已导入，未重复受理：" : a.dry_run ? `将受理为一批 ${a.items.length} 项诉求，各项转至：` : `已受理 ${a.items.length} 项诉求，48 小时内答复：`}
        {a.id && !a.dry_run && <Link to={`/policy/${a.id}`}>查看诉求</Link>}
        {a.id && a.dry_run && a.already_imported && <Link to={`/policy/${a.id}`}>查看已受理的诉求</Link>}
      </div>
      {a.items.length > 0 && (
        <Table size="small" rowKey="row" pagination={false} dataSource={a.items} scroll={{ x: 420 }} style={{ marginTop: 8 }}
          columns={[
            { title: "行号", dataIndex: "row", width: 70, render: (r: number) => `第 ${r} 行` },
            { title: "事项", dataIndex: "topic" }, { title: "类别", dataIndex: "category_zh", width: 90 },
            { title: "将转至", dataIndex: "department" },
          ]} />
      )}
    </>
  );
}

export default function PolicyImport() {
  const [form] = Form.useForm();
  const [params] = useSearchParams();
  const [leads, setLeads] = useState<LeadOption[]>([]);
  const searchLeads = (q?: string) => unwrap<{ items: LeadOption[] }>(client.GET("/api/v1/leads", { params: { query: cleanQuery({ q, page_size: 20 }) as never } }))
    .then((d) => setLeads(d.items), () => undefined);
  useEffect(() => {
    searchLeads();
    if (params.get("lead")) form.setFieldValue("lead_id", params.get("lead"));
  }, []);
  const query = async () => {
    const v = await form.validateFields();
    return { lead_id: v.lead_id, enterprise: v.enterprise?.trim() || undefined, received_at: v.received_at ? v.received_at.format() : undefined };
  };
  return (
    <>
      <Typography.Title level={3} className="page-title">Excel 导入诉求</Typography.Title>
      <Typography.Paragraph type="secondary">企业的一批诉求，一行一项：检查后整批受理为一个诉求（有一行有误则整批不导入）；同一文件再次导入不会重复受理。</Typography.Paragraph>
      <Card>
        <Form form={form} name="policy-import" layout="vertical">
          <Row gutter={16}>
            <Col xs={24} md={10}>
              <Form.Item label="所属项目" name="lead_id" rules={[{ required: true, message: "请选择项目" }]}>
                <Select showSearch filterOption={false} onSearch={(q) => searchLeads(q)} placeholder="输入项目或企业名称搜索"
                  options={leads.map((l) => ({ value: l.id, label: `${l.title}（${l.company.name}）` }))}
                  onChange={(id) => { const l = leads.find((x) => x.id === id); if (l && !form.getFieldValue("enterprise")) form.setFieldValue("enterprise", l.company.name); }} />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}><Form.Item label="提出诉求的企业" name="enterprise" extra="不填为项目的企业"><Input maxLength={200} /></Form.Item></Col>
            <Col xs={24} md={6}><Form.Item label="收到时间" name="received_at" extra="不填为现在"><DatePicker showTime style={{ width: "100%" }} disabledDate={(d) => d.isAfter(dayjs())} /></Form.Item></Col>
          </Row>
        </Form>
        <SheetImport<Answer> path="/api/v1/policy-requests/import" whole query={query} form={form} outcome={outcome}
          template={{ path: "/api/v1/policy-requests/import/template.xlsx", filename: "政策诉求导入模板.xlsx" }} />
      </Card>
    </>
  );
}
