import { Badge, severityTone } from "@/components";
import { humanize } from "@/lib/format";
import { FREE, type Choice, type Question } from "../types";

interface Props {
  question: Question;
  index: number;
  choice: Choice | undefined;
  onChange: (choice: Choice) => void;
}

function FindingQuote({ question }: { question: Question }) {
  const finding = question.finding as { text?: string; severity?: string; field?: string };
  if (!finding.text || question.category === "missing_acceptance_criteria") return null;
  return (
    <blockquote className="question-quote">
      <mark className={`finding-mark finding-${finding.severity ?? "medium"}`}>{finding.text}</mark>
    </blockquote>
  );
}

/** One question with its options as radio buttons (recommended first and marked) and a free answer. */
export function QuestionCard({ question, index, choice, onChange }: Props) {
  const name = `q-${question.id}`;
  const selected = choice?.kind === "option" ? choice.optionId : choice?.kind === "free" ? FREE : "";
  const severity = (question.finding as { severity?: string }).severity ?? "medium";
  return (
    <fieldset className="question">
      <legend>
        <span className="question-number">{index + 1}</span>
        <span className="question-text">{question.question}</span>
      </legend>
      <div className="question-meta">
        <Badge tone="accent">{question.requirement_code}</Badge>
        <Badge tone={severityTone(severity)}>{humanize(question.category)}</Badge>
        <span className="muted small" title="Impact × uncertainty: how much answering this helps">
          priority {(question.impact * question.uncertainty).toFixed(2)}
        </span>
      </div>
      <FindingQuote question={question} />
      <div className="options" role="radiogroup" aria-label={`Answers to question ${index + 1}`}>
        {question.options.map((option) => (
          <label key={option.id} className={`option${selected === option.id ? " option-selected" : ""}`}>
            <input type="radio" name={name} value={option.id} checked={selected === option.id} onChange={() => onChange({ kind: "option", optionId: option.id })} />
            <span className="option-label">{option.label}</span>
            {option.id === question.recommended_option && <Badge tone="success">Recommended</Badge>}
          </label>
        ))}
        {question.allows_free_answer && (
          <div className={`option option-free${selected === FREE ? " option-selected" : ""}`}>
            <label className="option-free-label">
              <input type="radio" name={name} value={FREE} checked={selected === FREE} onChange={() => onChange({ kind: "free", text: choice?.kind === "free" ? choice.text : "" })} />
              <span className="option-label">My own answer</span>
            </label>
            {selected === FREE && (
              <textarea
                className="input"
                rows={2}
                aria-label={`Your answer to question ${index + 1}`}
                value={choice?.kind === "free" ? choice.text : ""}
                onChange={(e) => onChange({ kind: "free", text: e.target.value })}
                placeholder={question.category === "missing_acceptance_criteria" ? "Given …, when …, then …" : "Your wording"}
                autoFocus
              />
            )}
          </div>
        )}
      </div>
    </fieldset>
  );
}
