// The stage moves the API allows (services/leads/pipeline.py): the next stage is ordinary, a
// skip ahead needs a reason, a move back is for a leader or an admin only and needs one too.
export const STAGES = ["lead", "negotiating", "signed", "land", "construction", "production"];
const BACKWARD_ROLES = new Set(["leader", "admin"]);

export interface Move { stage: string; kind: "forward" | "skip" | "backward"; needsReason: boolean }

export function allowedMoves(stage: string, status: string, role: string): Move[] {
  if (status === "lost") return [];
  const here = STAGES.indexOf(stage);
  const moves: Move[] = [];
  STAGES.forEach((target, index) => {
    if (index === here + 1) moves.push({ stage: target, kind: "forward", needsReason: false });
    else if (index > here + 1) moves.push({ stage: target, kind: "skip", needsReason: true });
    else if (index < here && BACKWARD_ROLES.has(role)) moves.push({ stage: target, kind: "backward", needsReason: true });
  });
  return moves;
}

export const STATUS_MOVES: Record<string, string[]> = { active: ["stalled", "lost"], stalled: ["active", "lost"], lost: ["active"] };
export const statusNeedsReason = (from: string, to: string) => to === "lost" || from === "lost";
