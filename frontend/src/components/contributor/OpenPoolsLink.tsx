/**
 * "Pick a pool below": the next step of an empty passbook or contribution list. The app routes on
 * the location hash, so an in-page `#id` link would change the route: this one scrolls and moves
 * the focus to the list of open pools instead.
 */
import { hrefOf } from "../../logic/route";

/** The id of the heading of the open pools' list on the contributor page. */
export const OPEN_POOLS_HEADING = "open-pools-heading";

export function OpenPoolsLink({ children }: { children: string }) {
  return (
    <a
      href={hrefOf("contributor")}
      onClick={(event) => {
        const heading = document.getElementById(OPEN_POOLS_HEADING);
        if (!heading) return;
        event.preventDefault();
        heading.tabIndex = -1;
        heading.scrollIntoView();
        heading.focus();
      }}
    >
      {children}
    </a>
  );
}
