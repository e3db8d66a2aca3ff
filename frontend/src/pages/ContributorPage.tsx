/** Contributor page (in progress). */
export default function ContributorPage(_props: { params?: URLSearchParams }) {
  return <h1>Contributor</h1>;
}
