"""The command line: parse, call the core, report. Nothing else lives here."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from handouts.errors import HandoutError, Terminated, UsageError

F = TypeVar("F", bound=Callable[..., Any])


def reported(func: F) -> F:
    """Turn the core's errors into click's: usage mistakes exit 2, data problems 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UsageError as e:
            raise click.UsageError(str(e)) from None
        except HandoutError as e:
            raise click.ClickException(str(e)) from None
        except BrokenPipeError:  # `handouts history | head -1`: the reader has what it wanted
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit's flush is quiet too
            sys.exit(0)
        except OSError as e:  # the last net: a disk or file problem is a message, never a traceback
            from handouts.output import why

            where = f"{e.filename}: " if e.filename else ""
            raise click.ClickException(f"{where}{why(e)}") from None
        except KeyboardInterrupt:
            click.echo("interrupted: nothing half-written was left behind", err=True)
            sys.exit(130)
        except Terminated:
            click.echo("stopped: nothing half-written was left behind", err=True)
            sys.exit(143)

    return wrapper  # type: ignore[return-value]


if TYPE_CHECKING:
    from handouts.batch import BatchReport  # imported for real only inside `batch`: start-up time
    from handouts.history import Record
    from handouts.models import Library
    from handouts.pipeline import Issued

    # click's ParamType is generic only in recent releases
    _DateParam = click.ParamType[dt.date]
else:
    _DateParam = click.ParamType


class IsoDate(_DateParam):
    """YYYY-MM-DD, with a message that says why a date that looks right is not one."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError as e:
            reason = "" if "Invalid isoformat" in str(e) else f" ({e})"
            self.fail(f"'{value}' is not a date{reason}; expected YYYY-MM-DD, like 2026-12-01", param, ctx)


library_option = click.option(
    "--library",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    envvar="HANDOUTS_LIBRARY",
    help="Directory with exercises.toml and programs.toml (default: $HANDOUTS_LIBRARY, else the shipped library).",
)
clinic_option = click.option(
    "--clinic",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    envvar="HANDOUTS_CLINIC",
    help="Clinic file (default: $HANDOUTS_CLINIC, else the shipped clinic.toml).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="handouts")
def main() -> None:
    """Print a branded one-page home-exercise handout for a patient."""
    import signal

    def stop(signum: int, frame: object) -> None:
        raise Terminated  # unwinds like Ctrl-C: temporary files go, what is whole is reported

    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, stop)


history_options = [
    click.option(
        "--history",
        "history_file",
        default=None,
        metavar="FILE|URL",
        help="History file, or postgresql://user@host:port/dbname for a clinic group (default: $HANDOUTS_HISTORY, "
        "else your data directory).",
    ),
    click.option("--no-history", is_flag=True, help="Do not record this in the history."),
]
plan_options = [
    click.option(
        "--lang", default=None, metavar="LANG", help="Language of the sheet: en or es (default: the clinic file's lang, else en)."
    ),
    click.option("--note", default=None, help="Your words to the patient, printed in the notes area."),
    click.option("--large-print", is_flag=True, help="Body type 14 pt or larger; refuses a plan that cannot fit."),
    click.option("--no-figures", is_flag=True, help="Leave out the exercise drawings (your own photos still print)."),
    click.option("--load", "loads", multiple=True, metavar="ID=TEXT", help="Replace an exercise's load advice (repeatable)."),
    click.option("--start", type=IsoDate(), default=None, help="First day of the two-week log, YYYY-MM-DD (default: today)."),
    click.option(
        "-o", "--output", type=click.Path(path_type=Path), default=None, help="Directory or .pdf path to write (default: ./out/)."
    ),
    click.option("--force", is_flag=True, help="Overwrite an existing file instead of picking a fresh name."),
    click.option("--email", "email_to", metavar="ADDRESS", help="Also email the handout to the patient."),
    click.option(
        "--eml",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="With --email: write the message to this .eml file instead of sending it.",
    ),
    click.option(
        "--pdf-password", is_flag=True, help="Protect the PDF (AES-256) with a new password, printed here for you to give by phone."
    ),
]


def options(opts: list[Callable[[F], F]]) -> Callable[[F], F]:
    def apply(func: F) -> F:
        for opt in reversed(opts):
            func = opt(func)
        return func

    return apply


@main.command()
@click.argument("name")
@click.argument("exercise_ids", nargs=-1, metavar="[EXERCISE_ID[:DOSE]]...")
@click.option("--program", "program_id", help="Program id; with EXERCISE_IDs, its exercises come first.")
@click.option("--patient-id", default="", help="Your own id for the patient (chart number), kept in the history.")
@options(plan_options)
@click.option("--paper", type=click.Choice(["letter", "a4"], case_sensitive=False), default="letter", show_default=True, help="Paper size.")
@clinic_option
@library_option
@click.option("--grayscale", is_flag=True, help="Print pictures and colours in grey, for a black-and-white printer.")
@options(history_options)
@reported
def make(
    name: str,
    exercise_ids: tuple[str, ...],
    program_id: str | None,
    patient_id: str,
    lang: str | None,
    note: str | None,
    large_print: bool,
    no_figures: bool,
    loads: tuple[str, ...],
    start: dt.date | None,
    output: Path | None,
    force: bool,
    email_to: str | None,
    eml: Path | None,
    pdf_password: bool,
    paper: str,
    clinic: Path | None,
    library: Path | None,
    grayscale: bool,
    history_file: str | None,
    no_history: bool,
) -> None:
    """Make one patient's handout and print the path written.

    With no EXERCISE_ID the library's default program is used. A dose typed after
    an id changes it for this patient only: ID:SETSxREPS or ID:SETSxSECONDSs, then
    optionally @RPE and /daily or /Nw (N days a week).

    \b
    Example:
      handouts make "Zoë O'Brien" hinge-heel-raised wall-calf-raise
      handouts make "Ana Lima" wall-calf-raise:3x12@8/2w hinge-plate:2x45-60s@7+ --note "Left side only"
      handouts make "Ana Lima" --program ankle-loading --start 2026-12-01 --paper a4
      handouts make "Ana Lima" --email ana@example.com --pdf-password
    """
    from handouts.paths import history_path
    from handouts.pipeline import make_handout
    from handouts.request import HandoutRequest, choices_from, loads_from

    if eml is not None and email_to is None:
        raise click.UsageError("--eml needs --email ADDRESS (the message's recipient)")
    request = HandoutRequest(
        patient=name,
        patient_id=patient_id,
        choices=choices_from(exercise_ids),
        program_id=program_id,
        loads=loads_from(loads),
        note=note or "",
        start=start,
        paper=paper.lower(),
        grayscale=grayscale,
        lang=lang,
        large_print=large_print,
        figures=not no_figures,
        output=output,
        force=force,
        email_to=email_to,
        eml=eml,
        protect=pdf_password,
    )
    _report_issued(make_handout(request, library, clinic, history_path(history_file, no_history)), email_to)


def _report_issued(done: Issued, email_to: str | None) -> None:
    """The path on stdout (and a password, when one was made); everything else on stderr."""
    click.echo(str(done.path))
    delivery = done.delivery
    if delivery and delivery.password:
        click.echo(f"PDF password: {delivery.password}")
    if email_to is not None and delivery:
        click.echo(f"draft for {email_to} written to {delivery.eml}" if delivery.eml else f"emailed to {email_to}", err=True)
    if done.history_problem:
        click.echo(f"Warning: {done.history_problem}", err=True)
        sys.exit(1)


class _TakesOffIds(click.Command):
    """Lets `-hinge-plate` mean "take this exercise off" rather than a cluster of short options."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        head, sep, tail = (args[: args.index("--")], ["--"], args[args.index("--") + 1 :]) if "--" in args else (args, [], [])
        off = [a for a in head if _OFF.match(a)]
        kept = [a for a in head if not _OFF.match(a)]
        return super().parse_args(ctx, kept + (["--"] if off or sep else []) + off + tail)


_OFF = re.compile(r"^-[a-z][a-z0-9]*-[a-z0-9-]+$|^-[a-z]{3,}[a-z0-9]*$")


@main.command(cls=_TakesOffIds)
@click.argument("name")
@click.argument("changes", nargs=-1, metavar="[ID[:DOSE] | -ID]...")
@options(plan_options)
@clinic_option
@library_option
@options(history_options[:1])
@reported
def again(
    name: str,
    changes: tuple[str, ...],
    lang: str | None,
    note: str | None,
    large_print: bool,
    no_figures: bool,
    loads: tuple[str, ...],
    start: dt.date | None,
    output: Path | None,
    force: bool,
    email_to: str | None,
    eml: Path | None,
    pdf_password: bool,
    clinic: Path | None,
    library: Path | None,
    history_file: str | None,
) -> None:
    """Reissue a patient's latest handout with a new two-week log.

    The plan comes from the history, with the doses as printed. ID:DOSE changes one
    exercise's dose (or adds it), -ID takes one off; the note carries over unless
    --note is given. NAME is the name as printed or the patient id.

    \b
    Example:
      handouts again "Ana Lima" wall-calf-raise:3x8-12@8 -hinge-plate --start 2026-12-09
    """
    from handouts.history import History
    from handouts.paths import history_path
    from handouts.pipeline import make_handout
    from handouts.request import again_request, loads_from

    if eml is not None and email_to is None:
        raise click.UsageError("--eml needs --email ADDRESS (the message's recipient)")
    path = history_path(history_file, off=False)
    assert path is not None
    with History(path) as history:
        latest = history.patient(name)[0]
    request = dataclasses.replace(
        again_request(latest, changes, start=start, note=note, loads=loads_from(loads), lang=lang),
        large_print=large_print,
        figures=not no_figures,
        output=output,
        force=force,
        email_to=email_to,
        eml=eml,
        protect=pdf_password,
    )
    _report_issued(make_handout(request, library, clinic, path), email_to)


def _forget_beside_the_files(records: list[Record]) -> None:
    """The patient's traces next to their PDFs go too: a batch folder's ledger rows and the sent log's lines.
    The PDFs themselves are the clinic's to delete (they may be printed, filed or emailed already)."""
    from handouts.ledger import forget_files
    from handouts.mail import forget_sent

    by_folder: dict[Path, set[str]] = {}
    for r in records:
        by_folder.setdefault(Path(r.path).parent, set()).add(Path(r.path).name)
    for folder, names in by_folder.items():
        gone = forget_files(folder, names) + forget_sent(folder, names)
        if gone:
            click.echo(f"forgot {gone} line(s) about them in {folder}", err=True)


def _chart_names(library: Path | None, clinic: Path | None) -> tuple[Library | None, str]:
    """The library and the clinic's language, for naming a sheet's exercises in the chart's language
    whatever the patient's; a library or clinic file that cannot be read costs only that (the history
    is still shown, with the names as printed, in English)."""
    from handouts.library.load import load_clinic, load_library
    from handouts.wording import DEFAULT

    try:
        lang = load_clinic(clinic).lang
    except HandoutError:
        lang = DEFAULT
    try:
        return load_library(library), lang
    except HandoutError:
        return None, DEFAULT


@main.command(short_help="What each patient was given.")
@click.argument("name", required=False)
@click.option("--text", "as_text", is_flag=True, help="A paste-ready summary of NAME's latest handout.")
@click.option("--forget", is_flag=True, help="Delete every record of NAME (asks first).")
@click.option("--yes", is_flag=True, help="With --forget: do not ask.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="How many of the latest handouts to list.")
@options(history_options[:1])
@clinic_option
@library_option
@reported
def history(
    name: str | None,
    as_text: bool,
    forget: bool,
    yes: bool,
    limit: int,
    history_file: str | None,
    clinic: Path | None,
    library: Path | None,
) -> None:
    """List the latest handouts, one patient's handouts with their doses, or a summary.

    \b
    Example:
      handouts history
      handouts history "Ana Lima"
      handouts history "Ana Lima" --text | pbcopy
      handouts history --forget "Ana Lima"
    """
    from handouts.history import History, clinician_title, summary_text
    from handouts.paths import history_path

    path = history_path(history_file, off=False)
    assert path is not None
    if (as_text or forget) and not name:
        raise click.UsageError(f"{'--text' if as_text else '--forget'} needs the patient's NAME")
    names, lang = _chart_names(library, clinic)
    with History(path) as hist:
        if name is None:
            for r in hist.latest(limit):
                who = r.patient + (f" [{r.patient_id}]" if r.patient_id else "")
                back = f"  log back: {r.adherence[-1].done} of {r.adherence[-1].planned} sessions" if r.adherence else ""
                title = clinician_title(r, names, lang)
                click.echo(f"{r.issued_at[:10]}  {who}  {title} ({len(r.doses)} exercises){back}  {r.path}")
            return
        records = hist.patient(name)
        if forget:
            if not yes:
                click.confirm(f"Delete {len(records)} handout record(s) of {records[0].patient} from {hist.where}?", abort=True, err=True)
            click.echo(f"forgot {hist.forget(records)} handout record(s) of {records[0].patient}", err=True)
            _forget_beside_the_files(records)
            return
        if as_text:
            click.echo(summary_text(records[0], names, lang))
            return
        for r in records:
            click.echo(summary_text(r, names, lang))
            click.echo()


@main.command(short_help="Copy the library and clinic file to edit.")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@reported
def init(directory: Path) -> None:
    """Copy the shipped exercise library and clinic file into DIRECTORY to make them your own.

    Existing files are never overwritten. Then point handouts at the copy, once,
    in your shell profile: HANDOUTS_LIBRARY=DIRECTORY and HANDOUTS_CLINIC=DIRECTORY/clinic.toml.

    \b
    Example:
      handouts init ~/clinic
      export HANDOUTS_LIBRARY=~/clinic HANDOUTS_CLINIC=~/clinic/clinic.toml
    """
    from handouts.library.load import copy_library

    for path in copy_library(directory):
        click.echo(str(path))


@main.command(short_help="List or search the exercises in the library.")
@click.argument("words", nargs=-1)
@click.option(
    "--region",
    help="Only this body region (ankle-foot, knee, hip, low-back-core, neck-upper-back, shoulder, elbow-wrist-hand, balance, mobility).",
)
@click.option(
    "--equipment",
    help="Only exercises that use this (none, chair, wall, step, band, weight, ball, towel, counter, plate, pillow, door, table).",
)
@library_option
@reported
def exercises(words: tuple[str, ...], region: str | None, equipment: str | None, library: Path | None) -> None:
    """List the exercises in the library (id, title and dose), or those matching WORDS.

    WORDS are looked for in each exercise's id, title, short name and cues,
    ignoring case and accents; every word must match.

    \b
    Example:
      handouts exercises calf
      handouts exercises --region knee --equipment chair
      handouts exercises --library my-library/
    """
    from handouts.library.load import load_library
    from handouts.library.search import find
    from handouts.wording import dose_summary

    lib = load_library(library)
    found = find(lib, words, region, equipment)
    if not found:
        raise click.ClickException("no exercise matches; try fewer words, or `handouts exercises` for the whole list")
    width = max(len(ex.id) for ex in found)
    for ex in found:
        photo = "  [photo]" if ex.picture else ""
        click.echo(f"{ex.id:<{width}}  {ex.title}  ({dose_summary(ex.dose)}){photo}")


@main.command(short_help="Print the exercise drawings on a contact sheet to review.")
@click.argument("exercise_ids", nargs=-1, metavar="[EXERCISE_ID]...")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("drawings.pdf"),
    show_default=True,
    help="The PDF to write.",
)
@click.option("--paper", type=click.Choice(["letter", "a4"], case_sensitive=False), default="letter", show_default=True, help="Paper size.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@clinic_option
@library_option
@reported
def figures(exercise_ids: tuple[str, ...], output: Path, paper: str, force: bool, clinic: Path | None, library: Path | None) -> None:
    """Print every exercise's drawing (or those named) with its title, twenty to a page, in the
    clinic's colour: to check the drawings before a patient sees them.

    The drawings are made from the poses in figures.toml (see poses.toml for the joints).

    \b
    Example:
      handouts figures -o drawings.pdf
      handouts figures bridge clamshell --library my-library/ -o mine.pdf
    """
    from handouts.pipeline import contact_sheet

    click.echo(str(contact_sheet(library, clinic, exercise_ids, output, force, paper.lower())))


@main.command()
@library_option
@reported
def programs(library: Path | None) -> None:
    """List the named programs and the exercises each holds.

    \b
    Example:
      handouts programs
      handouts make "Ana Lima" --program knee-osteoarthritis
    """
    from handouts.library.load import load_library

    lib = load_library(library)
    for prog in lib.programs.values():
        mark = "  (default)" if prog.id == lib.default_program else ""
        click.echo(f"{prog.id}: {prog.title}{mark}")
        for ex_id in prog.exercise_ids:
            click.echo(f"    {ex_id:<28}{lib.exercises[ex_id].title}")


@main.command(short_help="Report every problem in the data files.")
@library_option
@clinic_option
def check(library: Path | None, clinic: Path | None) -> None:
    """Check the library and clinic files and report every problem at once.

    \b
    Example:
      handouts check --library my-library/ --clinic my-clinic.toml
    """
    from handouts.checks import check_files

    problems, lib, notes = check_files(library, clinic)
    for note in notes:
        click.echo(f"note: {note}", err=True)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        click.echo(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found", err=True)
        sys.exit(1)
    assert lib is not None
    untranslated = f" ({len(notes)} texts missing in other languages: see the notes above)" if notes else ""
    click.echo(f"ok: {len(lib.exercises)} exercises, {len(lib.programs)} programs, clinic file valid{untranslated}")


@main.command()
@click.argument("roster", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Directory for the handouts, one PDF per roster row.",
)
@click.option(
    "--combined",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also write every handout into this one PDF, for a single print job.",
)
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Worker processes (default: the number of cores).")
@clinic_option
@library_option
@click.option("--force", is_flag=True, help="Remake handouts that already exist.")
@click.option(
    "--lang", default=None, metavar="LANG", help="Language of every sheet without a lang column value: en or es (default: the clinic's)."
)
@click.option(
    "--email", "send_email", is_flag=True, help="Email each handout to the roster's email column (skips patients already emailed)."
)
@options(history_options)
@reported
def batch(
    roster: Path,
    out_dir: Path,
    combined: Path | None,
    jobs: int | None,
    clinic: Path | None,
    library: Path | None,
    force: bool,
    lang: str | None,
    send_email: bool,
    history_file: str | None,
    no_history: bool,
) -> None:
    """Make a handout for every row of a workshop roster (CSV or .xlsx).

    Columns: name (or first name and last name), exercises (ids, each optionally
    with a dose, separated by spaces or semicolons) or program, and optional start
    (YYYY-MM-DD), paper (letter or a4), email, note, patient_id, lang. Bad rows are
    reported as ROSTER:LINE and the rest still go out; a rerun remakes only the
    rows that changed.

    \b
    Example:
      handouts batch examples/roster.csv -o out/workshop --combined out/workshop.pdf
      handouts batch examples/roster.csv -o out/workshop --email
    """
    from handouts.batch import default_jobs, email_rows, plan_batch, run_batch
    from handouts.history import History
    from handouts.paths import history_path
    from handouts.pipeline import Sources

    if combined is not None and combined.suffix.lower() != ".pdf":
        raise click.UsageError(f'--combined "{combined}" must end in .pdf')
    sources = Sources.load(library, clinic)
    if send_email:  # no point making forty handouts to find the mail settings missing
        from handouts.mail import ready

        ready(sources.clinic)
    # without a combined print file the roster streams: rows are made as they are read
    plan = plan_batch(roster, out_dir, sources, stream=combined is None, mailing=send_email, lang=lang)
    report = plan.report
    place = history_path(history_file, no_history)
    history = History(place) if place is not None else None
    try:
        if sys.stderr.isatty() and plan.total:
            with click.progressbar(length=plan.total, label="handouts", file=sys.stderr) as bar:
                run_batch(plan, jobs or default_jobs(), force, combined, bar.update, history)
        else:
            run_batch(plan, jobs or default_jobs(), force, combined, history=history)
        if send_email:
            email_rows(plan, history)
    except (KeyboardInterrupt, Terminated) as e:
        _show_batch(report, roster)
        click.echo("interrupted: every file written is whole; run the same command again to finish", err=True)
        sys.exit(130 if isinstance(e, KeyboardInterrupt) else 143)
    except HandoutError as e:  # a full disk half-way: what was written is still listed, the summary last
        if not (report.written or report.remade or report.skipped or report.failed):
            raise click.ClickException(str(e)) from None
        report.problems.append(str(e))
        _show_batch(report, roster)
        sys.exit(1)
    finally:
        if history is not None:
            history.close()
    _show_batch(report, roster)
    sys.exit(report.exit_code)


def _show_batch(report: BatchReport, roster: Path) -> None:
    """Paths on stdout for scripts; problems and the summary (always last) on stderr."""
    for path in [*report.written, *report.remade]:
        click.echo(str(path))
    for recipient, password in report.passwords:
        click.echo(f"PDF password for {recipient}: {password}")
    lines = [(f.line, "warning: ", f.message) for f in report.warnings]
    lines += [(f.line, "", f.message) for f in [*report.failed, *report.not_emailed]]
    for line, kind, message in sorted(lines, key=lambda item: item[0]):
        one_line = " ".join(message.split())  # a quoted cell may hold line breaks
        click.echo(f"{roster}:{line}: {kind}{one_line}", err=True)
    if report.combined:
        click.echo(f"combined print file: {report.combined}", err=True)
    if report.history_problem:
        click.echo(f"Warning: {report.history_problem}", err=True)
    for problem in report.problems:
        click.echo(f"Error: {problem}", err=True)
    click.echo(report.summary(), err=True)


@main.command(short_help="The clinic's web page for building handouts.")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on; anything but this computer needs HANDOUTS_WEB_PASSWORD."
)
@click.option("--port", type=click.IntRange(1, 65535), default=8040, show_default=True, help="Port to listen on.")
@click.option(
    "--allowed-host",
    multiple=True,
    metavar="NAME",
    help="Another name this computer is reached by (e.g. frontdesk.local); repeat for several. Others are refused.",
)
@click.option("--proxy", is_flag=True, help="Behind the clinic's HTTPS proxy on this computer: trust its forwarded address and scheme.")
@click.option(
    "--max-roster-rows", type=click.IntRange(1), default=2000, show_default=True, help="The most rows a workshop upload may have."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("out"),
    show_default=True,
    help="Directory for the handouts made on the page.",
)
@clinic_option
@library_option
@options(history_options)
@reported
def serve(
    host: str,
    port: int,
    allowed_host: tuple[str, ...],
    proxy: bool,
    max_roster_rows: int,
    output: Path,
    clinic: Path | None,
    library: Path | None,
    history_file: str | None,
    no_history: bool,
) -> None:
    """Start the clinic's own web page: build, preview, print, email and reissue handouts.

    It listens on this computer only unless --host says otherwise; then the
    HANDOUTS_WEB_PASSWORD environment variable is required and the page asks for it.
    Needs the web extra: pip install '.[web]'.

    \b
    Example:
      handouts serve
      HANDOUTS_WEB_PASSWORD='long shared secret' handouts serve --host 0.0.0.0 --port 8040
    """
    import os

    from handouts.paths import history_path

    try:
        from handouts.web import server
        from handouts.web.app import create_app
        from handouts.web.security import PASSWORD_ENV, is_loopback
        from handouts.web.settings import Settings
    except ImportError:
        raise click.ClickException("the web page needs the web extra: pip install '.[web]'") from None
    password = os.environ.get(PASSWORD_ENV, "")
    if not is_loopback(host) and not password:
        raise click.UsageError(
            f"listening on {host} lets other computers reach patient data; set {PASSWORD_ENV} "
            "to a password first (or leave --host at 127.0.0.1)"
        )
    settings = Settings(
        library_dir=library,
        clinic_file=clinic,
        history_file=history_path(history_file, no_history),
        output=output,
        password=password,
        secret=os.environ.get("HANDOUTS_WEB_SECRET", "") or Settings().secret,
        host=host,
        allowed_hosts=tuple(allowed_host),
        proxy=proxy,
        max_roster_rows=max_roster_rows,
    )
    app = create_app(settings)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"handouts: the clinic's page is at http://{shown}:{port}/  (Ctrl-C to stop)", err=True)
    server.serve(app, host, port, proxy)


@main.group(short_help="Add or remove an exercise's photo.")
def picture() -> None:
    """Add or remove an exercise's photo (shown beside its cues on the sheet).

    \b
    Example:
      handouts picture add wall-calf-raise ~/Photos/IMG_2231.HEIC
    """


@picture.command("add")
@click.argument("exercise_id")
@click.argument("photo", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--crop",
    type=click.Choice(["center", "left", "right", "top", "bottom"]),
    default="center",
    show_default=True,
    help="Which part to keep in the square: left/right of a wide photo, top/bottom of a tall one.",
)
@library_option
@reported
def picture_add(exercise_id: str, photo: Path, crop: str, library: Path | None) -> None:
    """Import a phone photo for an exercise: upright, square, 300 dpi, no metadata.

    JPEG, PNG and HEIC (with the pillow-heif extra) are read. The picture is saved
    as pictures/EXERCISE_ID.jpg next to exercises.toml and recorded in the entry.

    \b
    Example:
      handouts picture add wall-calf-raise IMG_2231.jpg --crop left
    """
    from handouts.library.pictures import add_picture

    click.echo(str(add_picture(exercise_id, photo, library, crop)))


@picture.command("remove")
@click.argument("exercise_id")
@library_option
@reported
def picture_remove(exercise_id: str, library: Path | None) -> None:
    """Take an exercise's picture off the sheet (and delete the imported file).

    \b
    Example:
      handouts picture remove wall-calf-raise
    """
    from handouts.library.pictures import remove_picture

    removed = remove_picture(exercise_id, library)
    click.echo(f"removed {removed}" if removed else f"removed the picture from {exercise_id}")


@main.command(short_help="Read the ticked boxes from a photo of a returned sheet.")
@click.argument("photos", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True, dir_okay=True))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per photo, one per line.")
@click.option(
    "--annotate",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Write each photo with its reading drawn on it into this directory.",
)
@options(history_options)
@reported
def scan(photos: tuple[Path, ...], as_json: bool, annotate: Path | None, history_file: str | None, no_history: bool) -> None:
    """Read the two-week log of returned sheets from phone photos.

    Prints, for each exercise, the days ticked and whether the weekly goal was met, and
    the share of planned sessions done. Boxes the photo cannot settle are listed as
    unsure and not counted. With the history on, each reading is recorded against the
    handout it came from (the same photo once) and `handouts history NAME` shows it.

    \b
    Example:
      handouts scan IMG_2041.jpg
      handouts scan *.jpg --json > readings.jsonl
    """
    try:
        from handouts.scan import reader as scanner
    except ImportError:
        raise click.ClickException("reading photos needs the scan extra: pip install '.[scan]'") from None
    import json
    from contextlib import nullcontext

    from handouts.history import History, shown
    from handouts.output import write_atomic
    from handouts.paths import history_path
    from handouts.tally import as_json as json_of
    from handouts.tally import as_text, spaced

    path = history_path(history_file, no_history)
    refused = problems = 0
    with History(path) if path is not None else nullcontext() as hist:
        for photo in photos:
            try:
                out = scanner.scan_photo(photo, hist)
            except scanner.Unreadable as e:
                refused += 1
                if as_json:
                    click.echo(json.dumps({"photo": str(photo), "refused": str(e).split(": ", 1)[-1]}))
                click.echo(f"Error: {e}", err=True)
                continue
            code = out.reading.code
            if as_json:
                click.echo(
                    json.dumps(
                        json_of(str(photo), code, out.tally, out.record.patient if out.record else None, out.recorded), ensure_ascii=False
                    )
                )
            else:
                click.echo(
                    "\n".join(as_text(str(photo), code, out.tally, out.record.patient if out.record else None, out.reading.found_by))
                )
            if out.history_problem:
                problems += 1
                click.echo(f"Warning: {out.history_problem}", err=True)
            elif path is not None and out.record is None:
                click.echo(f"sheet {spaced(code.sheet)} is not in this history ({shown(path)}): read, not recorded", err=True)
            elif out.recorded is False:
                click.echo(f"{photo}: this photo was read before; recorded once", err=True)
            if annotate is not None:
                target = write_atomic(annotate / f"{photo.stem}-read.jpg", scanner.drawn(out.reading, out.tally.summary()), force=True)
                click.echo(f"drawn: {target}", err=True)
    if refused or problems:
        sys.exit(1)


@main.command(short_help="Email a handout to the patient.")
@click.argument("pdf", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--to", "to", required=True, metavar="ADDRESS", help="The patient's email address.")
@click.option(
    "--eml",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the message to this .eml file (for your own mail program) instead of sending it.",
)
@click.option(
    "--pdf-password", is_flag=True, help="Protect the attachment (AES-256) with a new password, printed here for you to give by phone."
)
@click.option(
    "--lang", default=None, metavar="LANG", help="Language of the message: en or es (default: the language the handout was printed in)."
)
@click.option("--resend", is_flag=True, help="Send it even though the sent log shows it already went to this address.")
@clinic_option
@options(history_options)
@reported
def email(
    pdf: Path,
    to: str,
    eml: Path | None,
    pdf_password: bool,
    lang: str | None,
    resend: bool,
    clinic: Path | None,
    history_file: str | None,
    no_history: bool,
) -> None:
    """Email a handout to the patient through the clinic's mail server.

    The server is set in the clinic file's [email] table; the password is read
    from the HANDOUTS_SMTP_PASSWORD environment variable only.

    \b
    Example:
      HANDOUTS_SMTP_PASSWORD=... handouts email out/ana-lima_ankle-loading_2026-11-25.pdf --to ana@example.com
      handouts email out/ana.pdf --to ana@example.com --eml ana.eml
    """
    from contextlib import nullcontext

    from handouts.history import History
    from handouts.library.load import load_clinic
    from handouts.paths import history_path
    from handouts.pipeline import email_written

    place = history_path(history_file, no_history)
    with History(place) if place is not None else nullcontext() as history:
        done, problem = email_written(
            load_clinic(clinic), pdf, to, history, lang.lower() if lang else None, eml=eml, protect=pdf_password, resend=resend
        )
    if done.password:
        click.echo(f"PDF password: {done.password}")
    click.echo(f"draft for {to} written to {done.eml}" if done.eml else f"emailed {pdf.name} to {to}", err=True)
    if problem:
        click.echo(f"Warning: {problem}", err=True)
        sys.exit(1)
