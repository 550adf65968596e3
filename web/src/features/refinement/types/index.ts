import type { components } from "@/lib/api/schema";
import type { Scores } from "@/components";

export type QaSession = components["schemas"]["trellis__refinement__schemas__SessionRead"];
export type Question = components["schemas"]["QuestionRead"];
export type RefineResponse = components["schemas"]["RefineResponse"];
export type AnswerIn = components["schemas"]["AnswerIn"];

/** One entry of a session's `rounds`: scores before the round's answers, and after once answered. */
export interface RoundRecord {
  round: number;
  scores_before?: Scores;
  findings_before?: number;
  scores_after?: Scores;
  findings_after?: number;
  questions?: number;
}

/** A user's pick for one question: an option, or a free answer. */
export type Choice = { kind: "option"; optionId: string } | { kind: "free"; text: string };

export const FREE = "__free__";
