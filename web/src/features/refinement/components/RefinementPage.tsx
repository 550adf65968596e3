import { useMemo, useState, type FormEvent } from "react";
import { Link, useParams } from "react-router-dom";
import { Badge, Button, Card, EmptyState, ErrorMessage, Loading, useToast } from "@/components";
import { useProjectStatus, useRefine, useSessions } from "../hooks/useRefinement";
import type { AnswerIn, Choice, QaSession, Question, RefineResponse, RoundRecord } from "../types";
import { QuestionCard } from "./QuestionCard";
import { ScoreProgress } from "./ScoreProgress";

const MAX_ROUNDS = 10;

function openQuestions(session: QaSession | undefined): Question[] {
  if (!session || session.status !== "open") return [];
  return (session.questions ?? []).filter((q) => q.round === session.round && q.status === "open").sort((a, b) => a.rank - b.rank);
}

function toAnswers(questions: Question[], choices: Record<string, Choice>): AnswerIn[] {
  const answers: AnswerIn[] = [];
  for (const question of questions) {
    const choice = choices[question.id];
    if (choice?.kind === "option") answers.push({ question_id: question.id, option_id: choice.optionId, answer: null });
    else if (choice?.kind === "free" && choice.text.trim()) answers.push({ question_id: question.id, option_id: null, answer: choice.text.trim() });
  }
  return answers;
}

function RoundProgress({ session }: { session: QaSession }) {
  const done = session.status !== "open";
  return (
    <div className="round-progress" aria-label="Refinement rounds">
      {Array.from({ length: MAX_ROUNDS }, (_, i) => i + 1).map((round) => (
        <span
          key={round}
          className={`round-dot${round < session.round || (done && round <= session.round) ? " round-done" : ""}${round === session.round && !done ? " round-current" : ""}`}
          title={`Round ${round}`}
        />
      ))}
      <span className="muted small">
        Round {session.round} of at most {MAX_ROUNDS}
      </span>
    </div>
  );
}

function Applied({ result }: { result: RefineResponse }) {
  if (result.applied.length === 0) return null;
  return (
    <div className="alert alert-success" role="status">
      <div className="alert-body">
        <strong className="alert-title">Your answers were applied</strong>
        <ul className="alert-list">
          {result.applied.map((change, index) => {
            const c = change as { requirement_code?: string; kept?: boolean; versions?: Record<string, number> };
            const versions = Object.entries(c.versions ?? {});
            return (
              <li key={index}>
                <strong>{c.requirement_code}</strong>:{" "}
                {c.kept || versions.length === 0 ? "kept as it is" : versions.map(([code, version]) => `${code} is now v${version}`).join(", ")}
              </li>
            );
          })}
        </ul>
      </div>
    </div>
  );
}

export function RefinementPage() {
  const { projectId = "" } = useParams();
  const sessions = useSessions(projectId);
  const status = useProjectStatus(projectId);
  const refine = useRefine(projectId);
  const toast = useToast();
  const [choices, setChoices] = useState<Record<string, Choice>>({});
  const [last, setLast] = useState<RefineResponse | null>(null);

  const session = sessions.data?.items[sessions.data.items.length - 1];
  const questions = useMemo(() => openQuestions(session), [session]);
  // The recommended option is preselected, so accepting every recommendation is one click.
  const effective = useMemo(() => {
    const merged: Record<string, Choice> = {};
    for (const q of questions) {
      const picked = choices[q.id];
      if (picked) merged[q.id] = picked;
      else if (q.recommended_option) merged[q.id] = { kind: "option", optionId: q.recommended_option };
    }
    return merged;
  }, [questions, choices]);
  const answers = toAnswers(questions, effective);

  if (sessions.isPending || status.isPending) return <Loading label="Loading refinement…" />;
  if (sessions.isError) return <ErrorMessage error={sessions.error} onRetry={() => void sessions.refetch()} />;
  if (status.isError) return <ErrorMessage error={status.error} onRetry={() => void status.refetch()} />;

  const state = status.data.status;
  const canRefine = state === "DRAFT" || state === "REQS_REFINING";

  function send(list: AnswerIn[]) {
    refine.mutate(list, {
      onSuccess: (result) => {
        setChoices({});
        setLast(result);
        if (list.length) toast(`Round answered: ${result.findings} findings left`);
      },
    });
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    send(answers);
  }

  const rounds = (session?.rounds ?? []) as unknown as RoundRecord[];
  return (
    <div className="stack-lg">
      <Card
        title="Refinement"
        subtitle="Questions about the findings that matter most, ranked by impact × uncertainty. Each answer becomes a new version of the requirement."
        actions={session ? <Badge tone={session.status === "open" ? "info" : session.status === "completed" ? "success" : "warning"}>{session.status}</Badge> : undefined}
      >
        {session && <RoundProgress session={session} />}
        {last && <Applied result={last} />}
        <ErrorMessage error={refine.error} />
        {status.data.requirements === 0 ? (
          <EmptyState title="Nothing to refine yet" action={<Link to={`/projects/${projectId}/requirements`}>Import requirements</Link>}>
            Refinement asks about the findings in your requirements.
          </EmptyState>
        ) : !canRefine ? (
          <EmptyState title={session ? `Refinement ${session.status}` : "Refinement is closed"}>
            The project is {state.replace(/_/g, " ").toLowerCase()}. Reopen the requirements from the project overview to refine again.
          </EmptyState>
        ) : questions.length > 0 ? (
          <form className="stack" onSubmit={submit}>
            {questions.map((question, index) => (
              <QuestionCard key={question.id} question={question} index={index} choice={effective[question.id]} onChange={(choice) => setChoices({ ...choices, [question.id]: choice })} />
            ))}
            <div className="row-end">
              <span className="muted small">
                {answers.length} of {questions.length} answered
              </span>
              <Button type="submit" variant="primary" busy={refine.isPending} disabled={answers.length === 0}>
                Submit answers
              </Button>
            </div>
          </form>
        ) : session && session.status !== "open" ? (
          <EmptyState title={session.status === "completed" ? "Requirements meet the quality thresholds" : "Refinement ended"}>
            {session.status === "completed"
              ? "Finalize the requirements from the project overview."
              : "The round cap or kept findings ended it; the remaining findings are recorded. Finalize from the project overview, or reopen to continue."}
          </EmptyState>
        ) : (
          <EmptyState
            title={session ? "Ready for the next round" : "Start refining"}
            action={
              <Button variant="primary" busy={refine.isPending} onClick={() => send([])}>
                {session ? "Next round" : "Start refinement"}
              </Button>
            }
          >
            {status.data.findings} findings are open. Each round asks up to 5 questions.
          </EmptyState>
        )}
      </Card>
      {(rounds.length > 0 || status.data.requirements > 0) && (
        <Card title="Scores across rounds" subtitle="Seed 000 thresholds: testability > 80%, completeness > 90%, dependencies 100%, fewer than 3 ambiguous terms.">
          <ScoreProgress rounds={rounds} current={status.data.scores} currentFindings={status.data.findings} />
        </Card>
      )}
    </div>
  );
}
