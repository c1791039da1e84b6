import { useState, type ReactNode } from "react";
import { Alert, Button, Form, Space, Steps, Table, Typography, Upload, type FormInstance } from "antd";
import { DownloadOutlined, UploadOutlined } from "@ant-design/icons";
import { download, postWorkbook } from "../lib/api";
import { errorsByRow, mayCommit, refusal, type RowError, type SheetAnswer } from "../lib/imports";
import { FormError } from "./FormError";

interface Props<T extends SheetAnswer> {
  template: { path: string; filename: string };
  path: string;
  /** Every row must be valid for the commit (a batch is one request), or the valid ones go in. */
  whole: boolean;
  /** The query of the import beside the file (checked by the page's own form first). */
  query?: () => Promise<Record<string, string | undefined>>;
  form?: FormInstance;
  /** What a dry run would do, and what the commit did, in the page's words. */
  outcome: (answer: T) => ReactNode;
}

function RowErrorTable({ errors, caption }: { errors: RowError[]; caption: string }) {
  const rows = errorsByRow(errors);
  return (
    <Table size="small" rowKey="row" pagination={rows.length > 20 ? { pageSize: 20 } : false} dataSource={rows} scroll={{ x: 480 }}
      title={() => <Typography.Text strong type="danger">{caption}</Typography.Text>}
      columns={[
        { title: "行号", dataIndex: "row", width: 70, render: (r: number) => `第 ${r} 行` },
        { title: "列与问题", key: "columns", render: (_: unknown, r) => (
          <ul className="plain-list">{r.columns.map((c, n) => <li key={n}><Typography.Text strong>{c.column}</Typography.Text>：{c.msg}</li>)}</ul>) },
      ]} />
  );
}

/** An Excel import in three steps: the template, a dry run that shows each bad row by row and
 * column and the duplicates, then the commit and what it did. */
export function SheetImport<T extends SheetAnswer>({ template, path, whole, query, form, outcome }: Props<T>) {
  const [file, setFile] = useState<File | null>(null);
  const [checked, setChecked] = useState<T | null>(null);
  const [done, setDone] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<"check" | "commit" | null>(null);
  const refused = refusal(error);

  const send = async (dryRun: boolean) => {
    if (!file) return;
    let q: Record<string, string | undefined>;
    try { q = query ? await query() : {}; } catch { return; } // the page's form shows what is missing
    setBusy(dryRun ? "check" : "commit"); setError(null);
    try {
      const answer = await postWorkbook<T>(path, { ...q, dry_run: String(dryRun) }, file);
      if (dryRun) { setChecked(answer); setDone(null); } else { setDone(answer); setChecked(null); }
    } catch (e) {
      setError(e);
      if (form) form.setFields(refusal(e).fields.map((f) => ({ name: f.name, errors: [f.msg] })));
    } finally { setBusy(null); }
  };
  const choose = (f: File) => { setFile(f); setChecked(null); setDone(null); setError(null); return false; };
  const step = done ? 3 : checked ? 2 : file ? 1 : 0;

  return (
    <>
      <Steps size="small" current={step} responsive style={{ marginBottom: 16 }}
        items={[{ title: "下载模板" }, { title: "选择文件" }, { title: "检查" }, { title: "导入" }]} />
      <Form layout="vertical" component="div">
        <Form.Item label="导入模板">
          <Button icon={<DownloadOutlined />} onClick={() => download(template.path, template.filename).catch(setError)}>下载导入模板</Button>
        </Form.Item>
        <Form.Item label="Excel 文件" required validateStatus={refused.file.length ? "error" : undefined}
          help={refused.file.length ? refused.file.join("；") : "按模板填写后上传 .xlsx，先检查、再导入"}>
          <Upload accept=".xlsx" maxCount={1} beforeUpload={choose} onRemove={() => { setFile(null); setChecked(null); setDone(null); }}
            fileList={file ? [{ uid: "chosen", name: file.name, status: "done" }] : []}>
            <Button icon={<UploadOutlined />}>选择文件</Button>
          </Upload>
        </Form.Item>
      </Form>
      <Space wrap style={{ marginBottom: 12 }}>
        <Button disabled={!file} loading={busy === "check"} onClick={() => send(true)}>检查（不导入）</Button>
        <Button type="primary" disabled={!mayCommit(checked, whole)} loading={busy === "commit"} onClick={() => send(false)}>确认导入</Button>
      </Space>
      {!refused.file.length && <FormError error={error} onRetry={() => send(!checked)} />}
      {refused.rows.length > 0 && <RowErrorTable errors={refused.rows} caption="服务器拒绝导入：以下各行有误，整批未导入" />}
      {checked && (
        <div role="region" aria-label="检查结果">
          <Alert type={checked.errors.length ? "warning" : "success"} showIcon style={{ marginBottom: 12 }}
            message={`检查完成（未导入）：共 ${checked.rows} 行，可导入 ${checked.valid} 行，有误 ${errorsByRow(checked.errors).length} 行，重复 ${checked.duplicates.length} 行`}
            description={<>{outcome(checked)}{whole && checked.errors.length ? <div>整批须每行无误才能导入：请改正后重新选择文件。</div> : null}</>} />
          {checked.errors.length > 0 && <RowErrorTable errors={checked.errors} caption="有误的行（改正后重新检查）" />}
          {checked.duplicates.length > 0 && (
            <Alert type="info" style={{ marginTop: 12 }} message="重复的行（不会重复导入）"
              description={<ul className="plain-list">{checked.duplicates.map((d) => <li key={d.row}>{d.msg}</li>)}</ul>} />
          )}
        </div>
      )}
      {done && (
        <Alert role="status" type="success" showIcon message="导入完成" description={outcome(done)} />
      )}
    </>
  );
}
