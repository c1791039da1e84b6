import { useState } from "react";
import { useNavigate } from "react-router";
import { App, Button, Card, Form, Input, Typography } from "antd";
import { client, unwrap } from "../../lib/api";
import { saveSession } from "../../lib/session";
import { ApiError } from "../../lib/problems";
import { applyProblem, FormError } from "../../components/FormError";

export default function ChangePassword() {
  const [form] = Form.useForm();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const navigate = useNavigate();
  const { message } = App.useApp();

  const submit = async (v: { current_password: string; new_password: string }) => {
    setBusy(true);
    setError(null);
    try {
      await unwrap(client.POST("/api/v1/me/password", { body: { current_password: v.current_password, new_password: v.new_password } }));
      // A new password revokes every token: sign in again with it.
      saveSession(null);
      message.success("密码已修改，请用新密码重新登录");
      navigate("/login");
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        form.setFields([{ name: "current_password", errors: ["当前密码不正确"] }]);
      } else {
        applyProblem(form, e);
        setError(e);
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Typography.Title level={3} className="page-title">修改密码</Typography.Title>
      <Card style={{ maxWidth: 480 }}>
        <FormError error={error} onRetry={() => form.submit()} />
        <Form form={form} layout="vertical" onFinish={submit}>
          <Form.Item label="当前密码" name="current_password" rules={[{ required: true, message: "请输入当前密码" }]}>
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          <Form.Item label="新密码" name="new_password" rules={[{ required: true, message: "请输入新密码" }, { min: 10, message: "新密码至少 10 位" }]}>
            <Input.Password autoComplete="new-password" />
          </Form.Item>
          <Form.Item label="确认新密码" name="confirm" dependencies={["new_password"]}
            rules={[{ required: true, message: "请再次输入新密码" }, ({ getFieldValue }) => ({
              validator: (_, value) => (!value || getFieldValue("new_password") === value ? Promise.resolve() : Promise.reject(new Error("两次输入的新密码不一致"))),
            })]}>
            <Input.Password autoComplete="new-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={busy}>保存</Button>
        </Form>
      </Card>
    </>
  );
}
