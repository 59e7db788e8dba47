"""The command line: parse, call the core, report. Nothing else lives here."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from handouts.errors import HandoutError, UsageError

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

    return wrapper  # type: ignore[return-value]


if TYPE_CHECKING:
    from handouts.batch import BatchReport  # imported for real only inside `batch`: start-up time

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
    "--library", type=click.Path(path_type=Path, file_okay=False), default=None, envvar="HANDOUTS_LIBRARY",
    help="Directory with exercises.toml and programs.toml (default: $HANDOUTS_LIBRARY, else the shipped library).")
clinic_option = click.option(
    "--clinic", type=click.Path(path_type=Path, dir_okay=False), default=None, envvar="HANDOUTS_CLINIC",
    help="Clinic file (default: $HANDOUTS_CLINIC, else the shipped clinic.toml).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="handouts")
def main() -> None:
    """Print a branded one-page home-exercise handout for a patient."""


@main.command()
@click.argument("name")
@click.argument("exercise_ids", nargs=-1, metavar="[EXERCISE_ID]...")
@click.option("--program", "program_id", help="Program id (default: the library's default program).")
@click.option("--start", type=IsoDate(), default=None,
              help="First day of the two-week log, YYYY-MM-DD (default: today).")
@click.option("--paper", type=click.Choice(["letter", "a4"], case_sensitive=False), default="letter",
              show_default=True, help="Paper size.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Directory or .pdf path to write (default: ./out/).")
@clinic_option
@library_option
@click.option("--force", is_flag=True, help="Overwrite an existing file instead of picking a fresh name.")
@click.option("--grayscale", is_flag=True, help="Print pictures and colours in grey, for a black-and-white printer.")
@click.option("--email", "email_to", metavar="ADDRESS", help="Also email the handout to the patient.")
@click.option("--eml", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="With --email: write the message to this .eml file instead of sending it.")
@click.option("--pdf-password", is_flag=True,
              help="Protect the PDF (AES-256) with a new password, printed here for you to give by phone.")
@reported
def make(name: str, exercise_ids: tuple[str, ...], program_id: str | None, start: dt.date | None,
         paper: str, output: Path | None, clinic: Path | None, library: Path | None, force: bool,
         grayscale: bool, email_to: str | None, eml: Path | None, pdf_password: bool) -> None:
    """Make one patient's handout and print the path written.

    With no EXERCISE_ID the library's default program is used.

    \b
    Example:
      handouts make "Zoë O'Brien" hinge-heel-raised wall-calf-raise
      handouts make "Ana Lima" --program ankle-loading --start 2026-12-01 --paper a4
      handouts make "Ana Lima" --email ana@example.com --pdf-password
    """
    from handouts.make import make_handout

    if eml is not None and email_to is None:
        raise click.UsageError("--eml needs --email ADDRESS (the message's recipient)")
    written, done = make_handout(
        name, exercise_ids, program_id=program_id, start=start,
        paper=paper.lower(), output=output, clinic_file=clinic, library_dir=library, force=force,
        grayscale=grayscale, email_to=email_to, eml=eml, protect=pdf_password)
    click.echo(str(written))
    if done and done.password:
        click.echo(f"PDF password: {done.password}")
    if email_to is not None and done:
        click.echo(f"draft for {email_to} written to {done.eml}" if done.eml else f"emailed to {email_to}", err=True)


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
    from handouts.library import copy_library

    for path in copy_library(directory):
        click.echo(str(path))


@main.command()
@library_option
@reported
def exercises(library: Path | None) -> None:
    """List the exercises in the library: id, title and dose.

    \b
    Example:
      handouts exercises --library my-library/
    """
    from handouts.library import load_library

    lib = load_library(library)
    width = max(len(i) for i in lib.exercises)
    for ex in lib.exercises.values():
        photo = "  [photo]" if ex.picture else ""
        click.echo(f"{ex.id:<{width}}  {ex.title}  ({ex.dose.summary()}){photo}")


@main.command()
@library_option
@reported
def programs(library: Path | None) -> None:
    """List the named programs and the exercises each holds.

    \b
    Example:
      handouts programs
    """
    from handouts.library import load_library

    lib = load_library(library)
    width = max(len(i) for i in lib.programs)
    for prog in lib.programs.values():
        mark = " (default)" if prog.id == lib.default_program else ""
        click.echo(f"{prog.id:<{width}}  {prog.title}{mark}: {', '.join(prog.exercise_ids)}")


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

    problems, lib = check_files(library, clinic)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        click.echo(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found", err=True)
        sys.exit(1)
    assert lib is not None
    click.echo(f"ok: {len(lib.exercises)} exercises, {len(lib.programs)} programs, clinic file valid")


@main.command()
@click.argument("roster", type=click.Path(path_type=Path, dir_okay=False))
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Directory for the handouts, one PDF per roster row.")
@click.option("--combined", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Also write every handout into this one PDF, for a single print job.")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: the number of cores).")
@clinic_option
@library_option
@click.option("--force", is_flag=True, help="Remake handouts that already exist.")
@click.option("--email", "send_email", is_flag=True,
              help="Email each handout to the roster's email column (skips patients already emailed).")
@reported
def batch(roster: Path, out_dir: Path, combined: Path | None, jobs: int | None, clinic: Path | None,
          library: Path | None, force: bool, send_email: bool) -> None:
    """Make a handout for every row of a workshop roster (CSV).

    Columns: name (required), exercises (ids separated by spaces or semicolons) or
    program, and optional start (YYYY-MM-DD), paper (letter or a4), email. Bad rows
    are reported as ROSTER:LINE and the rest still go out; a rerun skips handouts
    already written.

    \b
    Example:
      handouts batch examples/roster.csv -o out/workshop --combined out/workshop.pdf
      handouts batch examples/roster.csv -o out/workshop --email
    """
    from handouts.batch import default_jobs, email_rows, plan_batch, run_batch

    if combined is not None and combined.suffix.lower() != ".pdf":
        raise click.UsageError(f'--combined "{combined}" must end in .pdf')
    if send_email:  # no point making forty handouts to find the mail settings missing
        from handouts.library import load_clinic
        from handouts.mail import ready

        ready(load_clinic(clinic))
    report = plan_batch(roster, out_dir, library, clinic)
    try:
        if sys.stderr.isatty() and report.rows:
            with click.progressbar(length=len(report.rows), label="handouts", file=sys.stderr) as bar:
                run_batch(report, jobs or default_jobs(), force, combined, bar.update)
        else:
            run_batch(report, jobs or default_jobs(), force, combined)
        if send_email:
            email_rows(report)
    except KeyboardInterrupt:
        _show_batch(report, roster)
        click.echo("interrupted: every file written is whole; run the same command again to finish", err=True)
        sys.exit(130)
    _show_batch(report, roster)
    sys.exit(report.exit_code)


def _show_batch(report: BatchReport, roster: Path) -> None:
    """Paths on stdout for scripts; problems and the summary (always last) on stderr."""
    for path in report.written:
        click.echo(str(path))
    for recipient, password in report.passwords:
        click.echo(f"PDF password for {recipient}: {password}")
    for failure in report.failed:
        one_line = " ".join(failure.message.split())  # a quoted cell may hold line breaks
        click.echo(f"{roster}:{failure.line}: {one_line}", err=True)
    if report.combined:
        click.echo(f"combined print file: {report.combined}", err=True)
    click.echo(report.summary(), err=True)


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
@click.option("--crop", type=click.Choice(["left", "center", "right"]), default="center", show_default=True,
              help="Which part of a wide photo to keep in the square.")
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
    from handouts.pictures import add_picture

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
    from handouts.pictures import remove_picture

    removed = remove_picture(exercise_id, library)
    click.echo(f"removed {removed}" if removed else f"removed the picture from {exercise_id}")


@main.command(short_help="Email a handout to the patient.")
@click.argument("pdf", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--to", "to", required=True, metavar="ADDRESS", help="The patient's email address.")
@click.option("--eml", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the message to this .eml file (for your own mail program) instead of sending it.")
@click.option("--pdf-password", is_flag=True,
              help="Protect the attachment (AES-256) with a new password, printed here for you to give by phone.")
@clinic_option
@reported
def email(pdf: Path, to: str, eml: Path | None, pdf_password: bool, clinic: Path | None) -> None:
    """Email a handout to the patient through the clinic's mail server.

    The server is set in the clinic file's [email] table; the password is read
    from the HANDOUTS_SMTP_PASSWORD environment variable only.

    \b
    Example:
      HANDOUTS_SMTP_PASSWORD=... handouts email out/ana-lima_ankle-loading_2026-11-25.pdf --to ana@example.com
      handouts email out/ana.pdf --to ana@example.com --eml ana.eml
    """
    from handouts.library import load_clinic
    from handouts.mail import deliver

    done = deliver(load_clinic(clinic), pdf, to, eml, pdf_password)
    if done.password:
        click.echo(f"PDF password: {done.password}")
    click.echo(f"draft for {to} written to {done.eml}" if done.eml else f"emailed {pdf.name} to {to}", err=True)
