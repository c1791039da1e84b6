import { useEffect, useState } from "react";
import { App, Card, Select, Table, Typography } from "antd";
import { client, unwrap } from "../../lib/api";
import { useApi } from "../../lib/useApi";
import { units, type PolicyRoute, type Unit } from "../../lib/reference";
import { FormError } from "../../components/FormError";

export default function PolicyRoutes() {
  const { message } = App.useApp();
  const [unitList, setUnits] = useState<Unit[]>([]);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => { units().then(setUnits, setError); }, []);
  const routes = useApi(() => unwrap<PolicyRoute[]>(client.GET("/api/v1/policy-routes")), []);
  const change = async (category: string, department: string) => {
    setError(null);
    try { await unwrap(client.PUT("/api/v1/policy-routes/{category}", { params: { path: { category } }, body: { department } as never })); message.success("诉求路由已更新"); routes.reload(); }
    catch (e) { setError(e); }
  };
  return (
    <>
      <Typography.Title level={3} className="page-title">诉求路由：类别 → 承办部门</Typography.Title>
      <FormError error={error ?? routes.error} onRetry={routes.reload} />
      <Card size="small">
        <Table<PolicyRoute> rowKey="category" size="small" scroll={{ x: 360 }} loading={routes.loading} dataSource={routes.data ?? []} pagination={false}
          columns={[
            { title: "诉求类别", dataIndex: "label_zh" },
            { title: "承办部门", dataIndex: "department", render: (d: string, r) => (
              <Select aria-label={`${r.label_zh}的承办部门`} style={{ width: "100%", minWidth: 180, maxWidth: 320 }} value={d} showSearch onChange={(v) => change(r.category, v)}
                options={unitList.filter((u) => u.kind === "department").map((u) => ({ value: u.name, label: u.name }))} />) },
          ]} />
      </Card>
    </>
  );
}
