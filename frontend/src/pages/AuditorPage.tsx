/** Auditor page (in progress). */
export default function AuditorPage(_props: { params?: URLSearchParams }) {
  return <h1>Auditor</h1>;
}
