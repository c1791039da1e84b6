import { useState } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { Alert, Button, Card, Form, Input, Typography } from "antd";
import { LockOutlined, UserOutlined } from "@ant-design/icons";
import { client, unwrap } from "../../lib/api";
import { ApiError } from "../../lib/problems";
import { saveSession, type Me } from "../../lib/session";
import { FormError } from "../../components/FormError";

export default function Login() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (values: { username: string; password: string }) => {
    setBusy(true);
    setError(null);
    try {
      const token = await unwrap<{ access_token: string; expires_in: number }>(
        client.POST("/api/v1/auth/token", { body: values }));
      const me = await unwrap<Me>(client.GET("/api/v1/me", { headers: { Authorization: `Bearer ${token.access_token}` } }));
      saveSession({ token: token.access_token, expiresAt: Date.now() + token.expires_in * 1000, me });
      const next = params.get("next");
      navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : "/", { replace: true });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login-wrap">
      <Card className="login-card">
        <Typography.Title level={2} style={{ textAlign: "center", marginTop: 0 }}>快办 · 招商工作台</Typography.Title>
        <Typography.Paragraph type="secondary" style={{ textAlign: "center" }}>县招商引资工作平台</Typography.Paragraph>
        {params.get("expired") && !error && <Alert type="info" showIcon style={{ marginBottom: 12 }} message="登录已过期，请重新登录，登录后回到原页面。" />}
        {error instanceof ApiError && error.status === 401
          ? <Alert role="alert" type="error" showIcon style={{ marginBottom: 12 }} message="用户名或密码错误，或账户已被暂时锁定。" />
          : <FormError error={error} />}
        <Form layout="vertical" onFinish={submit} requiredMark={false}>
          <Form.Item label="用户名" name="username" rules={[{ required: true, message: "请输入用户名" }]}>
            <Input prefix={<UserOutlined />} autoComplete="username" autoFocus />
          </Form.Item>
          <Form.Item label="密码" name="password" rules={[{ required: true, message: "请输入密码" }]}>
            <Input.Password prefix={<LockOutlined />} autoComplete="current-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy}>登录</Button>
        </Form>
      </Card>
    </main>
  );
}
