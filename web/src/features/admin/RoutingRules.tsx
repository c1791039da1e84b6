import { useEffect, useState } from "react";
import { App, Button, Card, Form, Input, Popconfirm, Select, Space, Table, Typography } from "antd";
import { client, unwrap } from "../../lib/api";
import { useApi } from "../../lib/useApi";
import { teams, type Team } from "../../lib/reference";
import { applyProblem, FormError } from "../../components/FormError";

interface Rule { keyword: string; team_id: string; team_name_zh: string }

export default function RoutingRules() {
  const [form] = Form.useForm();
  const { message } = App.useApp();
  const [teamList, setTeams] = useState<Team[]>([]);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => { teams().then(setTeams, setError); }, []);
  const rules = useApi(() => unwrap<Rule[]>(client.GET("/api/v1/routing-rules")), []);
  const save = async (v: Rule) => {
    setError(null);
    try { await unwrap(client.PUT("/api/v1/routing-rules", { body: { keyword: v.keyword.trim(), team_id: v.team_id } as never })); form.resetFields(); message.success("分派规则已保存"); rules.reload(); }
    catch (e) { applyProblem(form, e); setError(e); }
  };
  const remove = async (keyword: string) => {
    setError(null);
    try { await unwrap(client.DELETE("/api/v1/routing-rules/{keyword}", { params: { path: { keyword } } })); message.success("已删除，此后该产业的线索转人工分派"); rules.reload(); }
    catch (e) { setError(e); }
  };
  return (
    <>
      <Typography.Title level={3} className="page-title">分派规则：产业关键词 → 招商组</Typography.Title>
      <FormError error={error ?? rules.error} onRetry={rules.reload} />
      <Card size="small" style={{ marginBottom: 12 }}>
        <Form form={form} layout="inline" onFinish={save}>
          <Form.Item label="产业关键词" name="keyword" rules={[{ required: true, whitespace: true, message: "请输入关键词" }]}><Input maxLength={50} /></Form.Item>
          <Form.Item label="招商组" name="team_id" rules={[{ required: true, message: "请选择招商组" }]}>
            <Select style={{ width: 240 }} options={teamList.map((t) => ({ value: t.id, label: t.name_zh }))} />
          </Form.Item>
          <Button type="primary" htmlType="submit">保存规则</Button>
        </Form>
      </Card>
      <Card size="small">
        <Table<Rule> rowKey="keyword" size="small" loading={rules.loading} dataSource={(rules.data ?? []).filter((r) => /[\u4e00-\u9fff]/.test(r.keyword))} pagination={{ pageSize: 20 }}
          columns={[
            { title: "产业关键词", dataIndex: "keyword" },
            { title: "招商组", dataIndex: "team_name_zh" },
            { title: "操作", key: "op", render: (_, r) => <Popconfirm title={`删除“${r.keyword}”？`} okText="删除" cancelText="取消" onConfirm={() => remove(r.keyword)}><Button size="small" danger>删除</Button></Popconfirm> },
          ]} />
        <Space><Typography.Text type="secondary">英文关键词同样生效，此处只列中文关键词。</Typography.Text></Space>
      </Card>
    </>
  );
}
