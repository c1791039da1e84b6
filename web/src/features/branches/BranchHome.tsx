import { useEffect, useState } from "react";
import { Link, useNavigate } from "react-router";
import { Button, Card, Col, DatePicker, Form, Input, Modal, Row, Segmented, Select, Space, Statistic, Table, Tag, Typography } from "antd";
import { PlusOutlined } from "@ant-design/icons";
import { useApi } from "../../lib/useApi";
import { useSession } from "../../lib/auth";
import { formatCny } from "../../lib/money";
import { branches, type Branch } from "../../lib/reference";
import { dayjs } from "../../lib/dates";
import { periodLabel, periodOf, type Period, type PeriodKind } from "./period";
import { applyProblem, FormError } from "../../components/FormError";
import { createTrip, listTrips, ranking, results, type Results, type Trip } from "./api";

const TRIP_STATUS: Record<string, string> = { planned: "计划中", ongoing: "进行中", finished: "已结束", done: "已结束" };
const pct = (x: number | null | undefined) => (x == null ? "—" : `${Math.round(x * 100)}%`);

function TripForm({ branchId, onDone, onCancel }: { branchId: string; onDone: (t: Trip) => void; onCancel: () => void }) {
  const [form] = Form.useForm();
  const [error, setError] = useState<unknown>(null);
  const submit = async (v: any) => {
    setError(null);
    const body = {
      destination: v.destination, start_date: v.dates[0].format("YYYY-MM-DD"), end_date: v.dates[1].format("YYYY-MM-DD"),
      ...(v.purpose ? { purpose: v.purpose } : {}),
      targets: (v.targets ?? []).filter((t: any) => t?.company).map((t: any) => ({ company: t.company, questions: (t.questions ?? "").split("\n").map((q: string) => q.trim()).filter(Boolean), ...(t.notes ? { notes: t.notes } : {}) })),
    };
    try { onDone(await createTrip(branchId, body)); } catch (e) { applyProblem(form, e); setError(e); }
  };
  return (
    <Modal open title="计划外出招商行程（含功课）" onCancel={onCancel} onOk={() => form.submit()} okText="保存行程" width={720}>
      <FormError error={error} onRetry={() => form.submit()} />
      <Form form={form} layout="vertical" onFinish={submit} initialValues={{ targets: [{}] }}>
        <Row gutter={12}>
          <Col xs={24} md={12}><Form.Item label="目的地" name="destination" rules={[{ required: true, whitespace: true, message: "请填写目的地" }]}><Input /></Form.Item></Col>
          <Col xs={24} md={12}><Form.Item label="起止日期" name="dates" rules={[{ required: true, message: "请选择日期" }]}><DatePicker.RangePicker style={{ width: "100%" }} /></Form.Item></Col>
          <Col span={24}><Form.Item label="目的" name="purpose"><Input.TextArea rows={2} /></Form.Item></Col>
        </Row>
        <Typography.Text strong>目标企业与功课</Typography.Text>
        <Form.List name="targets">
          {(fields, { add, remove }) => (<>
            {fields.map((f, i) => (
              <Card key={f.key} size="small" style={{ marginTop: 8 }} title={`目标 ${i + 1}`} extra={<Button type="link" onClick={() => remove(f.name)}>删除</Button>}>
                <Form.Item label="企业" name={[f.name, "company"]}><Input /></Form.Item>
                <Form.Item label="要问的问题（每行一个）" name={[f.name, "questions"]}><Input.TextArea rows={2} /></Form.Item>
                <Form.Item label="背景" name={[f.name, "notes"]}><Input /></Form.Item>
              </Card>))}
            <Button type="dashed" style={{ marginTop: 8 }} onClick={() => add({})}>添加目标企业</Button>
          </>)}
        </Form.List>
      </Form>
    </Modal>
  );
}

export default function BranchHome() {
  const me = useSession()!.me;
  const navigate = useNavigate();
  const [list, setList] = useState<Branch[]>([]);
  const [branchId, setBranchId] = useState<string | undefined>(me.branch_id ?? undefined);
  const [planning, setPlanning] = useState(false);
  useEffect(() => { branches().then((b) => { setList(b); if (!branchId && b.length) setBranchId(b[0].id); }, () => undefined); }, []);
  const [kind, setKind] = useState<PeriodKind>("all");
  const [period, setPeriod] = useState<Period>({});
  const choose = (k: PeriodKind) => { setKind(k); if (k !== "custom") setPeriod(periodOf(k, dayjs().tz().format("YYYY-MM-DD"))); };
  const trips = useApi(() => (branchId ? listTrips(branchId) : Promise.resolve({ items: [], total: 0 })), [branchId]);
  const mine = useApi(() => (branchId ? results(branchId, period) : Promise.resolve(undefined as Results | undefined)), [branchId, period.from, period.to]);
  const board = useApi(() => ranking(period), [period.from, period.to]);
  const mayPlan = me.role === "admin" || (me.role === "branch_member" && me.branch_id === branchId);
  const r = mine.data;
  return (
    <>
      <Space style={{ width: "100%", justifyContent: "space-between", flexWrap: "wrap" }}>
        <Typography.Title level={3} className="page-title">区域党支部</Typography.Title>
        <Space wrap>
          {me.role !== "branch_member" && <Select aria-label="党支部" style={{ width: 260 }} value={branchId} onChange={setBranchId} options={list.map((b) => ({ value: b.id, label: b.name_zh }))} />}
          {mayPlan && <Button type="primary" icon={<PlusOutlined />} onClick={() => setPlanning(true)}>计划行程</Button>}
        </Space>
      </Space>
      <FormError error={trips.error ?? mine.error ?? board.error} onRetry={() => { trips.reload(); mine.reload(); board.reload(); }} />
      <Card size="small" style={{ marginBottom: 12 }}>
        <Space wrap>
          <span>统计周期</span>
          <Segmented value={kind} onChange={(v) => choose(v as PeriodKind)}
            options={[{ value: "month", label: "本月" }, { value: "quarter", label: "本季度" }, { value: "year", label: "今年" }, { value: "all", label: "全部" }, { value: "custom", label: "自选" }]} />
          {kind === "custom" && (
            <DatePicker.RangePicker aria-label="自选周期" allowEmpty={[true, true]} value={[period.from ? dayjs(period.from) : null, period.to ? dayjs(period.to) : null]}
              onChange={(d) => setPeriod({ from: d?.[0]?.format("YYYY-MM-DD"), to: d?.[1]?.format("YYYY-MM-DD") })} />
          )}
        </Space>
      </Card>
      <Typography.Title level={5}>{r?.name_zh ?? list.find((b) => b.id === branchId)?.name_zh}（{periodLabel(period)}）</Typography.Title>
      <Row gutter={12} style={{ marginBottom: 12 }}>
        <Col xs={12} md={6}><Card size="small"><Statistic title="走访企业" value={r?.visits ?? 0} /></Card></Col>
        <Col xs={12} md={6}><Card size="small"><Statistic title="引荐线索" value={r?.leads_sourced ?? 0} /></Card></Col>
        <Col xs={12} md={6}><Card size="small"><Statistic title="已签约" value={r?.signed ?? 0} /></Card></Col>
        <Col xs={12} md={6}><Card size="small"><Statistic title="签约投资" value={formatCny(r?.investment_signed_cny ?? 0)} /></Card></Col>
      </Row>
      <Card title="外出招商行程" size="small" style={{ marginBottom: 12 }}>
        <Table<Trip> rowKey="id" size="small" loading={trips.loading} dataSource={trips.data?.items ?? []} pagination={false} scroll={{ x: 600 }}
          columns={[
            { title: "目的地", dataIndex: "destination", render: (d: string, t) => <Link to={`/trips/${t.id}`}>{d}</Link> },
            { title: "日期", key: "d", render: (_, t) => `${t.start_date} 至 ${t.end_date}` },
            { title: "目标企业", key: "t", render: (_, t) => `${t.targets.length} 家` },
            { title: "状态", dataIndex: "status", render: (s: string) => <Tag>{TRIP_STATUS[s] ?? s}</Tag> },
            { title: "操作", key: "op", render: (_, t) => mayPlan && <Button size="small" onClick={() => navigate(`/trips/${t.id}/visit`)}>记录走访</Button> },
          ]} />
      </Card>
      <Card title={`六个党支部排名（${periodLabel(period)}）`} size="small">
        <Table<Results> rowKey="branch_id" size="small" loading={board.loading} dataSource={board.data?.items ?? []} pagination={false} scroll={{ x: 600 }}
          columns={[
            { title: "名次", dataIndex: "rank", width: 60 },
            { title: "党支部", dataIndex: "name_zh" },
            { title: "走访", dataIndex: "visits" },
            { title: "线索", dataIndex: "leads_sourced" },
            { title: "签约", dataIndex: "signed" },
            { title: "签约投资", dataIndex: "investment_signed_cny", render: formatCny },
            { title: "走访转线索", dataIndex: "visit_to_lead_rate", render: pct },
          ]} />
      </Card>
      {planning && branchId && <TripForm branchId={branchId} onCancel={() => setPlanning(false)} onDone={(t) => { setPlanning(false); navigate(`/trips/${t.id}`); }} />}
    </>
  );
}
