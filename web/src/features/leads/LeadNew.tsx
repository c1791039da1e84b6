import { useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate } from "react-router";
import { Alert, App, Button, Card, Checkbox, Col, DatePicker, Form, Input, InputNumber, List, Row, Select, Typography } from "antd";
import { newIdempotencyKey } from "../../lib/api";
import { creditCodeProblem, normaliseCreditCode } from "../../lib/creditCode";
import { formatCny, wanToYuan } from "../../lib/money";
import { ApiError, keepsIdempotencyKey } from "../../lib/problems";
import { branches, teams, type Branch, type Team } from "../../lib/reference";
import { useSession } from "../../lib/auth";
import { applyProblem, FormError } from "../../components/FormError";
import { createLead, getLead, listLeads, type Lead } from "./api";

const CJK = /[\u4e00-\u9fff]/;

export default function LeadNew() {
  const [form] = Form.useForm();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const session = useSession()!;
  const [teamList, setTeams] = useState<Team[]>([]);
  const [branchList, setBranches] = useState<Branch[]>([]);
  const [similar, setSimilar] = useState<Lead[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [existing, setExisting] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // One key per lead being typed: a retry after a lost answer cannot create it twice.
  const key = useRef(newIdempotencyKey());
  useEffect(() => { teams().then(setTeams, setError); branches().then(setBranches, () => undefined); }, []);

  const industries = useMemo(() => {
    const seen = new Map<string, string>();
    for (const t of teamList) for (const i of t.industries) if (CJK.test(i) && !seen.has(i)) seen.set(i, t.name_zh);
    return [...seen].map(([value, team]) => ({ value, label: `${value}（${team.replace("产业专业招商协作组", "组")}）` }));
  }, [teamList]);

  const wan = Form.useWatch("investment_wan", form) as number | undefined;
  const code = Form.useWatch(["company", "credit_code"], form) as string | undefined;
  const codeProblem = code ? creditCodeProblem(code) : null;

  const lookForDuplicates = async () => {
    const name = (form.getFieldValue(["company", "name"]) as string | undefined)?.trim();
    const c = form.getFieldValue(["company", "credit_code"]) as string | undefined;
    const terms = [c && !creditCodeProblem(c) ? normaliseCreditCode(c) : null, name].filter(Boolean) as string[];
    const found = new Map<string, Lead>();
    for (const q of terms) {
      try {
        const page = await listLeads({ q: q.slice(0, 100), page_size: 5 });
        page.items.forEach((l) => found.set(l.id, l));
      } catch { /* the check is a help, not a gate */ }
    }
    setSimilar([...found.values()]);
  };

  const submit = async (v: Record<string, any>) => {
    setBusy(true);
    setError(null);
    setExisting(null);
    const body: Record<string, unknown> = {
      title: v.title.trim(),
      company: { name: v.company.name.trim(), ...(v.company.credit_code ? { credit_code: normaliseCreditCode(v.company.credit_code) } : {}) },
      industry: v.industry,
      investment_cny: wanToYuan(v.investment_wan),
    };
    if (v.land_mu != null) body.land_mu = v.land_mu;
    if (v.region) body.region = v.region;
    if (v.source_branch_id) body.source_branch_id = v.source_branch_id;
    if (v.contact_name) body.contact = { name: v.contact_name, ...(v.contact_phone ? { phone: v.contact_phone } : {}) };
    if (v.first_contact_at) body.first_contact_at = v.first_contact_at.format();
    if (v.notes) body.notes = v.notes;
    if (v.major) body.major = true;
    try {
      const lead = await createLead(body, key.current);
      message.success("线索已登记，正在按产业分派招商组");
      // A team member sees the lead once the teams service has assigned it (within a second).
      for (let i = 0; i < 12; i++) {
        try { await getLead(lead.id); break; } catch { await new Promise((r) => setTimeout(r, 250)); }
      }
      navigate(`/leads/${lead.id}`);
    } catch (e) {
      if (!keepsIdempotencyKey(e)) key.current = newIdempotencyKey();
      if (e instanceof ApiError && e.status === 409) setExisting(String((e.problem as any).existing_id ?? ""));
      applyProblem(form, e);
      // Field errors of nested objects come back under company/contact.
      if (e instanceof ApiError && e.status === 422) {
        for (const err of e.problem.errors ?? []) {
          if (err.loc[1] === "investment_cny") form.setFields([{ name: "investment_wan", errors: ["投资额无效"] }]);
        }
      }
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Typography.Title level={3} className="page-title">新建线索</Typography.Title>
      <Card>
        {existing !== null ? (
          <Alert role="alert" type="error" showIcon style={{ marginBottom: 12 }} message="已有相同统一社会信用代码和项目名称的线索，未重复登记。"
            action={existing ? <Link to={`/leads/${existing}`}>查看已有线索</Link> : undefined} />
        ) : <FormError error={error} onRetry={() => form.submit()} />}
        <Form form={form} layout="vertical" onFinish={submit} scrollToFirstError
          initialValues={{ source_branch_id: session.me.role === "branch_member" ? session.me.branch_id : undefined }}>
          <Row gutter={16}>
            <Col xs={24} md={12}>
              <Form.Item label="项目名称" name="title" rules={[{ required: true, whitespace: true, message: "请输入项目名称" }]}>
                <Input maxLength={200} />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item label="企业名称" name={["company", "name"]} rules={[{ required: true, whitespace: true, message: "请输入企业名称" }]}>
                <Input maxLength={200} onBlur={lookForDuplicates} />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item label="统一社会信用代码" name={["company", "credit_code"]} validateTrigger={["onChange", "onBlur"]}
                extra={code && !codeProblem ? "校验位正确" : "18 位，输入时即校验"}
                rules={[{ validator: (_, value) => { const p = value ? creditCodeProblem(value) : null; return p ? Promise.reject(new Error(p)) : Promise.resolve(); } }]}>
                <Input maxLength={18} onBlur={lookForDuplicates} style={{ textTransform: "uppercase" }} />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item label="产业" name="industry" rules={[{ required: true, message: "请选择产业" }]} extra="按产业自动分派到对应的专业招商协作组">
                <Select showSearch options={industries} placeholder="选择产业" optionFilterProp="label" />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item label="计划投资额" name="investment_wan" rules={[{ required: true, message: "请输入投资额" }]}
                extra={wan ? `即 ${formatCny(wanToYuan(wan))}${wanToYuan(wan) >= 1e9 ? "，达到重大项目标准，进入绿色通道" : ""}` : "单位：万元"}>
                <InputNumber min={0} max={1e9} step={100} style={{ width: "100%" }} addonAfter="万元" />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item label="用地" name="land_mu">
                <InputNumber min={0} max={1e6} style={{ width: "100%" }} addonAfter="亩" />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item label="企业所在地区" name="region"><Input maxLength={100} placeholder="如：上海" /></Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item label="来源支部" name="source_branch_id">
                <Select allowClear disabled={session.me.role === "branch_member"} options={branchList.map((b) => ({ value: b.id, label: b.name_zh }))} />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}><Form.Item label="联系人" name="contact_name"><Input maxLength={100} /></Form.Item></Col>
            <Col xs={24} md={8}><Form.Item label="联系电话" name="contact_phone"><Input maxLength={40} /></Form.Item></Col>
            <Col xs={24} md={8}><Form.Item label="首次接触时间" name="first_contact_at"><DatePicker showTime style={{ width: "100%" }} /></Form.Item></Col>
            <Col span={24}><Form.Item label="备注" name="notes"><Input.TextArea rows={3} maxLength={5000} /></Form.Item></Col>
            <Col span={24}><Form.Item name="major" valuePropName="checked"><Checkbox>标记为重大项目（绿色通道）</Checkbox></Form.Item></Col>
          </Row>
          {similar.length > 0 && (
            <Alert type="warning" showIcon style={{ marginBottom: 12 }} message="可能重复的线索，请先核对："
              description={<List size="small" dataSource={similar} renderItem={(l) => (
                <List.Item><Link to={`/leads/${l.id}`} target="_blank">{l.title}</Link>（{l.company.name}，{l.team_name ?? "未分派"}）</List.Item>)} />} />
          )}
          <Button type="primary" htmlType="submit" loading={busy}>保存线索</Button>
          <Button style={{ marginLeft: 8 }} onClick={() => navigate(-1)}>取消</Button>
        </Form>
      </Card>
    </>
  );
}
