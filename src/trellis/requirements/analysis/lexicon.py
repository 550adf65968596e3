"""Word lists of weak requirements language, each with where it comes from and the context rule that judges it.

Sources:
- [29148] ISO/IEC/IEEE 29148:2018 §5.2.7 "Requirements language criteria": superlatives, subjective language,
  vague pronouns, ambiguous adverbs and adjectives, open-ended non-verifiable terms, comparative phrases,
  loopholes, incomplete references, negative statements (the examples it gives are all here).
- [ARM] NASA Automated Requirement Measurement tool (Wilson, Rosenberg, Hyatt, 1996): options ("can, may,
  optionally"), weak phrases ("adequate, as appropriate, be able to, be capable of, capability of/to, effective,
  as required, normal, provide for, timely, easy to"), incomplete ("TBD, TBS, TBE, TBC, TBR, not defined,
  as a minimum").
- [Smells] Femmer, Méndez Fernández, Wagner, Eder: "Rapid quality assurance with Requirements Smells", JSS 2017,
  whose smell lists extend the 29148 ones; and Rupp's requirement templates for weak verbs.
- [Trellis] terms added from reviewing our own labelled requirements (tests/requirements/data).

A term's `rule` names the context check in `context.py` that must pass before it is reported;
`not_before` / `not_after` are neighbouring words that make the phrase a term of art ("best-effort",
"real-time clock", "least privilege").
"""

from __future__ import annotations

from dataclasses import dataclass

from trellis.requirements.analysis.tokens import words


@dataclass(frozen=True, slots=True)
class Term:
    words: tuple[str, ...]
    category: str
    rule: str
    suggestion: str
    not_before: frozenset[str] = frozenset()
    not_after: frozenset[str] = frozenset()


DEFAULT_SUGGESTIONS = {
    "subjective_language": 'Replace "{t}" with an observable criterion, e.g. "a first-time user completes <task> '
    "in under "
    '<N> minutes without help".',
    "ambiguous_adverb_adjective": 'Replace "{t}" with a number and unit, e.g. "at least <N> <unit>".',
    "loophole": 'Remove "{t}" or state the exact condition under which the requirement does not apply.',
    "non_verifiable": 'Replace "{t}" with the complete, closed list or a measurable bound.',
    "superlative": 'Replace "{t}" with a measurable target, e.g. "<N> <unit> or better, measured by <method>".',
    "comparative": 'Give "{t}" a reference and a number, e.g. "at least <N>% faster than release <X> on <benchmark>".',
    "uncertain_verb": 'Replace "{t}" with "shall" if it is required, or move it to a list of options.',
    "placeholder": 'Replace "{t}" with the agreed value (and record who agreed it and when).',
    "missing_metric": 'Replace "{t}" with a measurable threshold, e.g. "within <N> ms (p95) under <load>".',
    "vague_pronoun": 'Replace "{t}" with the noun it stands for, e.g. "the <system/user/document>".',
    "incomplete_reference": 'Name the document exactly, with identifier, version and date: "<DOC-ID> v<X.Y> (<date>)".',
}

# Per-term rewrites where a better one than the category's default exists.
_SUGGESTIONS = {
    "fast": 'Replace "fast" with a bound, e.g. "within <N> ms (p95) under <load>".',
    "quickly": 'Replace "quickly" with a bound, e.g. "within <N> seconds".',
    "quick": 'Replace "quick" with a bound, e.g. "within <N> seconds".',
    "immediately": 'Replace "immediately" with a bound, e.g. "within <N> ms of <event>".',
    "instantly": 'Replace "instantly" with a bound, e.g. "within <N> ms of <event>".',
    "real-time": 'Replace "real-time" with a latency bound, e.g. "within <N> ms of the change".',
    "responsive": 'Replace "responsive" with a bound, e.g. "responds to input within <N> ms (p95)".',
    "scalable": 'Replace "scalable" with a load target, e.g. "handles <N> requests/s with p95 latency under <M> ms".',
    "secure": 'Name the control: e.g. "encrypted with TLS 1.2 or later" or "meets OWASP ASVS level 2".',
    "securely": 'Name the control: e.g. "using TLS 1.2 or later" or "encrypted with AES-256-GCM at rest".',
    "reliable": 'Replace "reliable" with a target, e.g. "succeeds for 99.9% of requests per 30 days".',
    "highly available": 'Replace "highly available" with a target, e.g. "available 99.9% per calendar month".',
    "high availability": 'Replace "high availability" with a target, e.g. "99.9% monthly availability".',
    "user-friendly": 'Replace "user-friendly" with "a first-time user completes <task> in under <N> minutes unaided".',
    "user friendly": 'Replace "user friendly" with "a first-time user completes <task> in under <N> minutes unaided".',
    "easy to use": 'Replace "easy to use" with "a first-time user completes <task> in under <N> minutes without help".',
    "intuitive": 'Replace "intuitive" with "<N>% of first-time users complete <task> without help".',
    "easy": 'Replace "easy" with a measurable task, e.g. "in at most <N> steps" or "in under <N> minutes".',
    "easily": 'Replace "easily" with a measurable task, e.g. "in at most <N> clicks".',
    "etc": 'Replace "etc." with the complete list.',
    "and so on": 'Replace "and so on" with the complete list.',
    "including but not limited to": "List every item, or point to the closed list that defines them.",
    "but not limited to": "List every item, or point to the closed list that defines them.",
    "tbd": "Replace TBD with the agreed value (owner, date).",
    "as appropriate": 'State the condition instead of "as appropriate", e.g. "when <condition>".',
    "if possible": 'Remove "if possible" or state when it does not apply.',
    "minimize": 'Give a target instead of "minimize", e.g. "at most <N> <unit>".',
    "maximize": 'Give a target instead of "maximize", e.g. "at least <N> <unit>".',
    "optimize": 'Give a target instead of "optimize", e.g. "reduce <metric> to <N> <unit>".',
    "best practices": 'Name the practice or standard, e.g. "OWASP ASVS 4.0.3 level 2".',
    "may": 'Use "shall" if this is required; if it is optional, say who decides and when.',
    "can": 'Use "shall" (e.g. "the system shall allow <actor> to ...") if this is required.',
    "at least": 'Close the list: give the exact items or a number, e.g. "at least <N>".',
    "gracefully": 'Say what happens instead of "gracefully", e.g. "shows <message>, keeps <data> and logs <event>".',
}


def _terms(category: str, rule: str, phrases: str, **context: str) -> list[Term]:
    not_before = frozenset(context.get("not_before", "").split())
    not_after = frozenset(context.get("not_after", "").split())
    result = []
    for phrase in phrases.split("|"):
        phrase = phrase.strip()
        if not phrase:
            continue
        words = tuple(phrase.split())
        suggestion = _SUGGESTIONS.get(phrase) or DEFAULT_SUGGESTIONS[category].format(t=phrase)
        result.append(Term(words, category, rule, suggestion, not_before, not_after))
    return result


TERMS: list[Term] = [
    # --- placeholders: [ARM] incomplete; [Trellis] TODO/FIXME/XXX, "???", template slots like "<N>".
    *_terms("placeholder", "placeholder", "tbd|tbc|tbs|tbe|tbr|to be determined|to be decided|to be defined"),
    *_terms("placeholder", "placeholder", "to be confirmed|to be specified|to be supplied|to be agreed|not defined"),
    *_terms("placeholder", "placeholder_upper", "todo|fixme|xxx"),
    *_terms("placeholder", "placeholder", "??|???|????|?????"),
    # --- missing metrics: quality attributes claimed without a threshold ([Smells] "quality requirements
    # without metric"; [29148] "unbounded"). Dropped when a quantity or a named standard is close by.
    *_terms(
        "missing_metric",
        "metric",
        "fast|quick|quickly|rapid|rapidly|speedy|swift|swiftly|responsive|performant|high-performance|high performance"
        "|efficient|efficiently|energy-efficient|power-efficient|scalable|reliable|reliably|resilient|fault-tolerant"
        "|highly available|high availability|always available|low latency|low-latency|high throughput|high-throughput"
        "|low overhead|low-power|low power|real-time|real time|near real-time|near-real-time|in real time|instant"
        "|instantly|immediately|without delay|maintainable|portable|lightweight|accurate|accurately|usable",
        not_before="clock clocks operating os kernel messaging message messages food track path forward",
    ),
    *_terms(
        "missing_metric",
        "security",
        "secure|securely|safe|safely|robust|robustly",
        not_before="boot enclave element mode state harbor",
    ),
    # --- subjective language: [29148] "user friendly, easy to use, cost effective"; [Smells].
    *_terms(
        "subjective_language",
        "adjective",
        "user-friendly|user friendly|easy to use|easy-to-use|easy|easily|intuitive|intuitively|simple|nice|beautiful"
        "|elegant|attractive|pleasant|appealing|good|great|excellent|poor|bad|seamless|seamlessly|smooth|smoothly"
        "|convenient|conveniently|straightforward|cost-effective|cost effective|friendly|professional|polished|sleek"
        "|state-of-the-art|state of the art|cutting-edge|world-class|high-quality|high quality|look and feel"
        "|well-designed|well designed|clear|clean|understandable|comfortable|enjoyable|engaging|satisfactory"
        "|flexible|modern|powerful|readable|helpful|meaningful|informative",
        not_before="interest faith standing text path object storage spending request gateway",
    ),
    # --- ambiguous adverbs and adjectives: [29148] "almost always, significant, minimal"; [ARM] weak phrases
    # "adequate, effective, normal, timely"; [Smells] vague quantifiers. Dropped when bounded by a number.
    *_terms(
        "ambiguous_adverb_adjective",
        "bounded",
        "almost always|almost never|almost|nearly|roughly|significant|significantly|minimal|minimally|considerable"
        "|considerably|substantial|substantially|sufficient|sufficiently|adequate|adequately|appropriate|appropriately"
        "|reasonable|reasonably|relatively|fairly|quite|very|extremely|highly|largely|mostly|generally|usually"
        "|normally|typically|often|frequently|occasionally|sometimes|rarely|seldom|regularly|periodically|soon|timely"
        "|in a timely manner|in a timely fashion|promptly|several|many|few|a few|various|numerous|large|small|big"
        "|huge|tiny|long|short|high|low|enough|normal|proper|properly|relevant|necessary|effective|effectively"
        "|gracefully|acceptable|as soon as practicable|correctly|harsh|unusual|unusually|prominent|prominently"
        "|too|hot|cold|warm",
        not_before="priority priorities severity risk contrast figures digits bits interest rate rates date version "
        "versions release releases patients patient distribution press polling position positions code name circuit "
        "selling business caps many press-and-hold",
        not_after="minimum how as",
    ),
    # --- loopholes: [29148] "if possible, as appropriate, as applicable"; [ARM] "as required".
    *_terms(
        "loophole",
        "loophole",
        "if possible|where possible|wherever possible|when possible|whenever possible|as far as possible|as much as "
        "possible|to the extent possible|as soon as possible|as far as practicable|where practicable|if practicable"
        "|where feasible|if feasible|when feasible|as appropriate|where appropriate|if appropriate|when appropriate"
        "|as applicable|where applicable|if applicable|as necessary|if necessary|where necessary|when necessary"
        "|as needed|if needed|when needed|where needed|as required|if required|where required|if desired|as desired"
        "|unless otherwise specified|unless otherwise agreed|unless otherwise stated|where relevant|if relevant"
        "|to the extent practical|in principle|as fast as possible|as quickly as possible",
    ),
    # --- open-ended, non-verifiable terms: [29148] "provide support, but not limited to, as a minimum";
    # [ARM] "provide for", "as a minimum"; [Smells] unbounded optimisation verbs.
    *_terms(
        "non_verifiable",
        "always",
        "etc|and so on|and so forth|and the like|among others|or similar|and similar|and others|including but not "
        "limited to|but not limited to|not limited to|as a minimum|at a minimum|provide support for|provide support"
        "|provide for|any kind of|all kinds of|all possible|every possible|maximize|maximise|minimize|minimise"
        "|optimize|optimise|best practices|best practice|industry standard|industry standards|industry-standard"
        "|unlimited|infinite|future-proof|and more|and other|or other|and any other|or any other|among other things",
    ),
    *_terms("non_verifiable", "bounded_after", "at least"),
    # --- superlatives: [29148] "best, most".
    *_terms(
        "superlative",
        "superlative",
        "best|worst|most|least|fastest|quickest|slowest|highest|lowest|greatest|largest|smallest|biggest|shortest"
        "|longest|easiest|simplest|safest|cheapest|strongest|optimal|optimally|optimum|best-in-class|maximum|minimum"
        "|maximal|minimal possible|ultimate|perfect|perfectly",
        not_before="effort efforts recent recently practice practices priority severity score scores bid bids value "
        "values rank price prices path version privilege common-denominator wage balance likelihood necessary "
        "recommended allowed permitted allowable configured supported",
        not_after="at the-",
    ),
    # --- comparatives: [29148] "better than, higher quality".
    *_terms(
        "comparative",
        "comparative",
        "better|worse|faster|quicker|slower|higher|lower|greater|larger|smaller|bigger|less|fewer|easier"
        "|simpler|cheaper|stronger|weaker|longer|shorter|improved|enhanced|increased|reduced",
        not_after="no",
    ),
    # "Learn more", "show more": link labels, not comparisons.
    *_terms("comparative", "comparative", "more", not_after="learn show load see read view any once no"),
    # --- uncertain verbs: [ARM] options "can, may, optionally"; [Smells]/[Trellis] weak intentions.
    # "should" and "will" are left alone: 29148 gives them defined meanings (goal, statement of fact).
    *_terms("uncertain_verb", "modal", "may|might|could|can|would"),
    *_terms("uncertain_verb", "always", "optionally|possibly|perhaps|ideally|preferably|hopefully"),
    *_terms(
        "uncertain_verb",
        "weak_intent",
        "try to|tries to|attempt to|attempts to|strive to|strives to|aim to|aims to|intend to|intends to"
        "|is expected to|are expected to|is intended to|are intended to",
    ),
    # --- vague pronouns: [29148] "it, this, that". Judged by antecedent in `context.py`.
    *_terms("vague_pronoun", "pronoun", "it|its|they|them|their"),
    *_terms("vague_pronoun", "demonstrative", "this|that|these|those"),
    # --- incomplete references: [29148] "not specifying the reference with its date and version number".
    *_terms(
        "incomplete_reference",
        "always",
        "see above|see below|as above|as below|mentioned above|described above|described below|listed above"
        "|listed below|stated above|defined above|defined below|aforementioned|previously mentioned|as discussed"
        "|as agreed",
    ),
]

# The words that make "X shall not ..." a limit rather than a missing capability.
LIMIT_WORDS = words(
    "exceed exceeds surpass more less fewer greater longer shorter above below over under beyond lower higher later "
    "earlier drop fall"
)
NEGATIONS = words(
    "not never no none nor neither cannot can't won't shan't mustn't shouldn't doesn't don't isn't aren't"
)
CONTRACTED_NEGATIONS = words("cannot can't won't shan't mustn't shouldn't doesn't don't isn't aren't wasn't")

# Named security standards, protocols and algorithms: with one of these, "secure" is specified.
SECURITY_STANDARDS = words(
    "tls ssl mtls https aes aes-256 aes-128 aes-256-gcm rsa sha sha-256 sha-512 bcrypt argon2 argon2id scrypt "
    "pbkdf2 oauth oauth2 oidc saml mfa 2fa totp fips iso owasp asvs pci pci-dss hipaa soc soc2 ssh x.509 ed25519 "
    "ecdsa hmac iec nist gdpr sil asil"
)

# Documents whose version or date a reference should give ([29148] incomplete references).
DOCUMENT_NOUNS = words(
    "policy policies standard standards guideline guidelines guide specification specifications spec specs document "
    "documents documentation manual regulation regulations rules procedure procedures contract agreement sla "
    "template templates section chapter appendix annex table figure diagram design designs mockup mockups wireframe "
    "wireframes handbook playbook runbook charter schema"
)
_REFERENCE_PHRASES = (
    "as defined in",
    "as described in",
    "as specified in",
    "as documented in",
    "as outlined in",
    "as set out in",
    "as shown in",
    "defined in",
    "described in",
    "specified in",
    "documented in",
    "outlined in",
    "shown in",
    "as per",
    "according to",
    "in accordance with",
    "in compliance with",
    "in line with",
    "compliant with",
    "comply with",
    "complies with",
    "conform to",
    "conforms to",
    "conformant with",
    "consistent with",
    "see",
    "refer to",
    "follow",
    "follows",
)
REFERENCE_TRIGGERS: tuple[tuple[str, ...], ...] = tuple(tuple(phrase.split()) for phrase in _REFERENCE_PHRASES)
