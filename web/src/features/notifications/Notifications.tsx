import { useState } from "react";
import { Button, Card, List, Space, Tag, Typography } from "antd";
import { client, unwrap } from "../../lib/api";
import { useApi } from "../../lib/useApi";
import { formatTime } from "../../lib/dates";
import { FormError } from "../../components/FormError";

interface Note { id: string; kind: string; title: string; body: string; created_at: string; read: boolean }
const KINDS: Record<string, string> = { sla_warning: "时限预警", sla_breached: "已超时", lead_assigned: "绿色通道", lead_unrouted: "待分派", trip_day_unreported: "行程未报", problem_raised: "新问题", problem_deadline_missed: "问题逾期", yellow_card_issued: "黄牌" };

export default function Notifications() {
  const [page, setPage] = useState(1);
  const [error, setError] = useState<unknown>(null);
  const inbox = useApi(() => unwrap<{ items: Note[]; total: number; unread: number }>(
    client.GET("/api/v1/notifications", { params: { query: { page, page_size: 20 } as never } })), [page]);
  const read = async (id: string) => {
    setError(null);
    try {
      await unwrap(client.POST("/api/v1/notifications/{notification_id}/read", { params: { path: { notification_id: id } } }));
      inbox.reload();
      window.dispatchEvent(new Event("kuaiban:notifications"));
    } catch (e) { setError(e); }
  };
  return (
    <>
      <Typography.Title level={3} className="page-title">通知</Typography.Title>
      <FormError error={inbox.error ?? error} onRetry={inbox.reload} />
      <Card size="small" title={`未读 ${inbox.data?.unread ?? 0} 条`}>
        <List loading={inbox.loading} dataSource={inbox.data?.items ?? []} locale={{ emptyText: "暂无通知" }}
          pagination={{ current: page, pageSize: 20, total: inbox.data?.total ?? 0, onChange: setPage }}
          renderItem={(n) => (
            <List.Item actions={n.read ? [<Typography.Text type="secondary" key="r">已读</Typography.Text>] : [<Button key="m" size="small" onClick={() => read(n.id)}>标为已读</Button>]}>
              <List.Item.Meta
                title={<Space>{!n.read && <Tag color="red">未读</Tag>}<Tag>{KINDS[n.kind] ?? "通知"}</Tag><span style={{ fontWeight: n.read ? 400 : 600 }}>{n.title}</span></Space>}
                description={<><div>{n.body}</div><div>{formatTime(n.created_at)}</div></>} />
            </List.Item>)} />
      </Card>
    </>
  );
}
