/**
 * Made-up software engineer resumes for the demo, matching lib/custodian/schemas/resume.schema.json.
 * Deterministic, so two runs contribute the same data.
 */

/** A resume as the pool's schema asks for it. */
export interface Resume {
  title: string;
  yearsOfExperience: number;
  skills: string[];
  city: string;
  education: "none" | "secondary" | "bachelor" | "master" | "doctorate";
  salaryExpectation: { amount: number; currency: string };
}

const TITLES = [
  "Backend engineer",
  "Frontend engineer",
  "Full-stack engineer",
  "Data engineer",
  "Site reliability engineer",
  "Mobile engineer",
  "Embedded software engineer",
  "Machine learning engineer",
];
const SKILLS = [
  "TypeScript",
  "Go",
  "Rust",
  "Python",
  "Java",
  "Kotlin",
  "SQL",
  "Kubernetes",
  "React",
  "Solidity",
  "C++",
  "Spark",
];
/** The cities demo resumes are in (public: the query policy lists them as the city field's domain). */
export const CITIES = [
  "Guiyang",
  "Shenzhen",
  "Hangzhou",
  "Chengdu",
  "Beijing",
  "Shanghai",
  "Wuhan",
];
const EDUCATION: Resume["education"][] = ["secondary", "bachelor", "master", "doctorate"];

/** The `index`-th demo resume; distinct for every index below 10,000. */
export function demoResume(index: number): Resume {
  const years = 1 + ((index * 7) % 25);
  return {
    title: TITLES[index % TITLES.length]!,
    yearsOfExperience: years,
    skills: [0, 1, 2].map((k) => SKILLS[(index + k * 5) % SKILLS.length]!),
    city: CITIES[(index * 3) % CITIES.length]!,
    education: EDUCATION[index % EDUCATION.length]!,
    // The index in the salary keeps every resume distinct (the custodian rejects duplicates).
    salaryExpectation: { amount: 150_000 + years * 10_000 + index, currency: "CNY" },
  };
}

/** Every education level of the schema, in its order (the demo pool's query groups by it). */
export const EDUCATION_LEVELS: Resume["education"][] = [
  "none",
  "secondary",
  "bachelor",
  "master",
  "doctorate",
];

/**
 * Typical years of experience per education level in the demo pool: more schooling, more years,
 * so that the analyst's answer has a pattern for the noise to blur or not.
 */
const EXPERIENCE_FLOOR: Record<Resume["education"], number> = {
  none: 1,
  secondary: 3,
  bachelor: 5,
  master: 7,
  doctorate: 10,
};

/**
 * The `index`-th resume of the demo pool (`npm run demo`): like {@link demoResume}, but spread
 * evenly over all five education levels, "none" included (self-taught engineers), with
 * experience depending on the level, so that every group of the analyst's answer holds people and
 * the means differ. Years lie in [1, 20] (the analyst's clamp bounds: nobody is clamped). Distinct
 * for every index below 10,000.
 */
export function demoPoolResume(index: number): Resume {
  const education = EDUCATION_LEVELS[index % EDUCATION_LEVELS.length]!;
  // index / 5 walks through 0..10 in an order unrelated to the level: years spread over 11 values.
  const years = EXPERIENCE_FLOOR[education] + ((Math.floor(index / 5) * 7) % 11);
  return {
    ...demoResume(index),
    education,
    yearsOfExperience: years,
    salaryExpectation: { amount: 150_000 + years * 10_000 + index, currency: "CNY" },
  };
}
