"""Command-line options of the projection stage (``xmodal evaluate``): added to a parser, read back."""

from __future__ import annotations

PROJECTIONS = ("cca-cv", "cca")


def add_arguments(parser) -> None:
    """Add the projection options to an ``argparse`` parser."""
    group = parser.add_argument_group("projection")
    group.add_argument("--projection", default="cca-cv", choices=PROJECTIONS,
                       help="cca-cv: CCA with reg, components and weighting chosen by cross-validation on the "
                            "training split (default); cca: fixed --reg / --n-components / --correlation-power")
    group.add_argument("--reg", type=float, default=0.1, help="relative ridge for --projection cca")
    group.add_argument("--n-components", type=int, default=None, help="components for --projection cca (default: all)")
    group.add_argument("--correlation-power", type=float, default=0.0,
                       help="weight components by correlation**power for --projection cca")


def from_arguments(args):
    """The projection estimator the parsed options describe."""
    from xmodal.projection.cca import CCA

    if args.projection == "cca":
        return CCA(n_components=args.n_components, reg_image=args.reg, reg_text=args.reg,
                   correlation_power=args.correlation_power)
    return default_projection(seed=args.seed)


def default_projection(**params):
    """The projection a pipeline uses when none is named: CCA chosen by cross-validation."""
    from xmodal.projection.selection import CCACV

    return CCACV(**params)


def describe(projection) -> dict:
    """Name and parameters of a fitted projection, for reports (chosen values for CV-selected ones)."""
    params = getattr(projection, "best_params_", None)
    return {"name": type(projection).__name__, "params": params if params is not None else projection.get_params()}
