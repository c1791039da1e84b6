import { cleanQuery, client, unwrap } from "../../lib/api";
import type { Monthly, Task, Weekly } from "./tasks";

export interface TaskQuery { leader?: string; area?: string; status?: string; page?: number; page_size?: number }

export const listTasks = (q: TaskQuery) =>
  unwrap<{ items: Task[]; total: number }>(client.GET("/api/v1/tasks", { params: { query: cleanQuery(q) as never } }));
export const getTask = (id: string) => unwrap<Task>(client.GET("/api/v1/tasks/{task_id}", { params: { path: { task_id: id } } }));
export const createTask = (body: Record<string, unknown>, key: string) =>
  unwrap<Task>(client.POST("/api/v1/tasks", { body: body as never, headers: { "Idempotency-Key": key } }));
export const updateTask = (id: string, body: Record<string, unknown>) =>
  unwrap<Task>(client.PATCH("/api/v1/tasks/{task_id}", { params: { path: { task_id: id } }, body: body as never }));
export const weekly = (week?: string) =>
  unwrap<Weekly>(client.GET("/api/v1/tasks/weekly", { params: { query: cleanQuery({ week }) as never } }));
export const monthly = (month?: string) =>
  unwrap<Monthly>(client.GET("/api/v1/tasks/monthly", { params: { query: cleanQuery({ month }) as never } }));
