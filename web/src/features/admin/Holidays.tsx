import { useState } from "react";
import { App, Button, Card, Form, Input, InputNumber, Table, Typography } from "antd";
import { client, unwrap } from "../../lib/api";
import { useApi } from "../../lib/useApi";
import { applyProblem, FormError } from "../../components/FormError";

interface Table_ { year: number; holidays: string[]; workdays: string[]; source?: string }
const dates = (text?: string) => (text ?? "").split(/[\s,，、]+/).map((d) => d.trim()).filter(Boolean);

export default function Holidays() {
  const [form] = Form.useForm();
  const { message } = App.useApp();
  const [error, setError] = useState<unknown>(null);
  const tables = useApi(() => unwrap<Table_[]>(client.GET("/api/v1/sla/holidays")), []);
  const save = async (v: { year: number; holidays: string; workdays?: string }) => {
    setError(null);
    try {
      await unwrap(client.PUT("/api/v1/sla/holidays/{year}", { params: { path: { year: v.year } }, body: { holidays: dates(v.holidays), workdays: dates(v.workdays) } as never }));
      message.success(`${v.year} 年节假日表已保存`); tables.reload();
    } catch (e) { applyProblem(form, e); setError(e); }
  };
  return (
    <>
      <Typography.Title level={3} className="page-title">节假日（工作日计时）</Typography.Title>
      <Typography.Paragraph type="secondary">按国务院办公厅发布的节假日安排录入；未录入的年份按周一至周五估算。</Typography.Paragraph>
      <FormError error={error ?? tables.error} onRetry={tables.reload} />
      <Card size="small" style={{ marginBottom: 12 }}>
        <Form form={form} layout="vertical" onFinish={save} initialValues={{ year: new Date().getFullYear() + 1 }}>
          <Form.Item label="年份" name="year" rules={[{ required: true, message: "请输入年份" }]}><InputNumber min={2000} max={2100} /></Form.Item>
          <Form.Item label="放假日期（每个日期用空格或逗号分隔，如 2027-01-01）" name="holidays" rules={[{ required: true, whitespace: true, message: "请输入放假日期" }]}><Input.TextArea rows={3} /></Form.Item>
          <Form.Item label="调休上班日期" name="workdays"><Input.TextArea rows={2} /></Form.Item>
          <Button type="primary" htmlType="submit">保存节假日表</Button>
        </Form>
      </Card>
      <Card size="small" title="已录入">
        <Table<Table_> rowKey="year" size="small" loading={tables.loading} dataSource={tables.data ?? []} pagination={false}
          columns={[
            { title: "年份", dataIndex: "year" },
            { title: "放假天数", key: "h", render: (_, t) => t.holidays.length },
            { title: "调休上班", key: "w", render: (_, t) => t.workdays.length },
          ]} />
      </Card>
    </>
  );
}
