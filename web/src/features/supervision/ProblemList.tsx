import { useState } from "react";
import { Link } from "react-router";
import { Card, Select, Space, Table, Tag, Typography } from "antd";
import { useApi } from "../../lib/useApi";
import { formatTime } from "../../lib/dates";
import { FormError } from "../../components/FormError";
import { COMPLEXITY, listProblems, STATUS, type Problem } from "./api";

export default function ProblemList() {
  const [status, setStatus] = useState<string | undefined>();
  const [page, setPage] = useState(1);
  const { data, error, loading, reload } = useApi(() => listProblems({ status, page }), [status, page]);
  return (
    <>
      <Typography.Title level={3} className="page-title">问题闭环（发现—提出—分析—解决）</Typography.Title>
      <Card size="small" style={{ marginBottom: 12 }}>
        <Space><Select aria-label="问题状态" placeholder="问题状态" allowClear style={{ width: 140 }} value={status} onChange={(v) => { setStatus(v); setPage(1); }}
          options={Object.entries(STATUS).map(([value, label]) => ({ value, label }))} /></Space>
      </Card>
      <FormError error={error} onRetry={reload} />
      <Card size="small">
        <Table<Problem> rowKey="id" loading={loading} dataSource={data?.items ?? []} scroll={{ x: 800 }}
          pagination={{ current: page, pageSize: 20, total: data?.total ?? 0, onChange: setPage }}
          columns={[
            { title: "问题", dataIndex: "title", render: (t: string, p) => <Link to={`/problems/${p.id}`}>{t}</Link> },
            { title: "责任单位", dataIndex: "owner_department" },
            { title: "类型", dataIndex: "complexity", render: (c: string) => COMPLEXITY[c] ?? c },
            { title: "状态", dataIndex: "status", render: (s: string) => <Tag color={s === "resolved" ? "green" : "orange"}>{STATUS[s] ?? s}</Tag> },
            { title: "提出时间", dataIndex: "raised_at", render: formatTime },
          ]} />
      </Card>
    </>
  );
}
