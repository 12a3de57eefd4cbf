"""Which TeX may be typeset: plain math commands only, so a reply's math cannot reach the page.

JupyterLab's MathJax typesets the math of our HTML outputs, and some of its commands reach past
the formula: ``\\unicode[FONT]`` writes FONT into a style attribute as given (a background
``url(…)`` the page fetches with no click, a ``position:fixed`` box over the whole window),
``\\href{/api/…}`` links into the Jupyter server, and ``\\require``, ``\\def``, ``\\style``,
``\\class``, ``\\cssId``, ``\\color``, ``\\bbox``, ``\\mmlToken``, ``\\label`` and their kin set
styles, ids, classes or load code. A model can be steered into writing any of them, so math is
typeset only if every command in it is one of the plain math commands below (letters, operators,
relations, arrows, fonts, accents, fractions, roots, matrices); any other command is shown as
written code. An allow-list, not a list of the bad ones: a command MathJax adds later stays out
until someone decides it is plain.
"""

from __future__ import annotations

import re

_GREEK = """alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi
    pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda
    Xi Pi Sigma Upsilon Phi Psi Omega"""
_SYMBOLS = """infty partial nabla forall exists nexists emptyset varnothing ell hbar Re Im aleph prime
    imath jmath dagger ddagger angle triangle square checkmark therefore because top bot sharp flat
    natural degree lt gt backslash ldots cdots vdots ddots dots dotsb dotsc cdotp circ bullet star ast"""
_OPERATORS = """sum prod coprod int iint iiint oint bigcup bigcap bigoplus bigotimes bigvee bigwedge
    lim liminf limsup limits nolimits sin cos tan cot sec csc arcsin arccos arctan sinh cosh tanh
    log ln lg exp max min sup inf det dim ker gcd deg hom arg Pr mod bmod pmod operatorname mathop
    mathrel mathbin mathord"""
_RELATIONS = """cdot times div pm mp leq geq le ge neq ne approx equiv sim simeq cong propto ll gg prec
    succ preceq succeq in notin ni subset subseteq supset supseteq cup cap setminus smallsetminus
    mid parallel perp oplus otimes wedge vee neg lnot land lor not colon"""
_ARROWS = """to gets rightarrow leftarrow Rightarrow Leftarrow leftrightarrow Leftrightarrow iff implies
    impliedby mapsto longmapsto longrightarrow longleftarrow Longrightarrow Longleftarrow
    hookrightarrow uparrow downarrow Uparrow Downarrow rightleftharpoons xrightarrow xleftarrow"""
_STRUCTURE = """frac dfrac tfrac cfrac binom dbinom tbinom choose over sqrt left right middle big Big
    bigg Bigg bigl bigr Bigl Bigr biggl biggr langle rangle lfloor rfloor lceil rceil lvert rvert
    lVert rVert vert Vert begin end hline cr nonumber notag substack stackrel overset underset
    overline underline overbrace underbrace boxed phantom hphantom vphantom quad qquad
    displaystyle textstyle scriptstyle"""
_FONTS = """text textbf textit textrm mathrm mathbf mathit mathsf mathtt mathbb mathcal mathfrak
    boldsymbol hat widehat bar vec dot ddot tilde widetilde check breve acute grave mathring
    overrightarrow overleftarrow"""

#: the commands a formula may use and still be typeset
PLAIN_COMMANDS = frozenset(" ".join([_GREEK, _SYMBOLS, _OPERATORS, _RELATIONS, _ARROWS, _STRUCTURE,
                                     _FONTS]).split())

#: a command as TeX reads it: a backslash and letters, or a backslash and one other character
_COMMAND = re.compile(r"\\([A-Za-z]+|.)", re.DOTALL)


def is_plain(tex: str) -> bool:
    """Whether every command in ``tex`` is a plain math command (``\\,``, ``\\{`` and the other
    one-character ones are spacing and escapes, always plain)."""
    return all(len(name) == 1 and not name.isalpha() or name in PLAIN_COMMANDS
               for name in _COMMAND.findall(tex))
