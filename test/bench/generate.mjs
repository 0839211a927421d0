// Writes N realistic interview definitions (with a few shared fragments) to a project folder.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const TEAMS = ['engineering', 'data', 'sales', 'support', 'design', 'marketing', 'finance', 'people'];
const LANGS = ['en', 'fr', 'de', 'es', 'es-MX', 'pt-BR', 'ja', 'it', 'nl', 'pl'];
const CODING = ['python', 'typescript', 'go', 'java', 'rust', 'cpp', 'kotlin', 'user_choice'];
const SKILLS = ['React', 'TypeScript', 'PostgreSQL', 'Kubernetes', 'Negotiation', 'Discovery calls', 'Figma', 'Forecasting', 'Python', 'Go', 'Incident response', 'Onboarding'];
const QUESTIONS = [
  'Walk us through a production incident you owned from alert to postmortem.',
  'Describe a decision you reversed, and what made you change your mind.',
  'How do you prioritise when two stakeholders want opposite things this week?',
  'Tell us about a project you would do differently with hindsight.',
  'What does a great first ninety days look like in this role?',
];

/** Deterministic PRNG so every run benchmarks the same files. */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    let t = (s += 0x6d2b79f5);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function definitionText(i, variant = 0) {
  const r = rng(i * 7919 + 1);
  const pick = (list) => list[Math.floor(r() * list.length)];
  const team = TEAMS[i % TEAMS.length];
  const lines = [];
  if (i % 5 === 0) lines.push(`extends: ../_shared/${team}.yaml`);
  lines.push(`interview_name: ${team[0].toUpperCase()}${team.slice(1)} role ${i}${variant ? ` (rev ${variant})` : ''}`);
  lines.push(`interview_language: ${pick(LANGS)}`);
  lines.push('skills:');
  const skills = 2 + Math.floor(r() * 5);
  for (let s = 0; s < skills; s++) {
    lines.push(`  - name: ${SKILLS[(i + s) % SKILLS.length]}`);
    if (r() < 0.6) lines.push(`    description: Level ${1 + Math.floor(r() * 5)} depth, with examples from real work`);
  }
  const questions = Math.floor(r() * 4);
  if (questions > 0) {
    lines.push('custom_question_list:');
    for (let q = 0; q < questions; q++) {
      lines.push(`  - question: ${pick(QUESTIONS)}`, `    time: ${1 + Math.floor(r() * 4)}`, `    type: ${r() < 0.8 ? 'audio' : 'text'}`);
    }
  }
  if (team === 'engineering' || team === 'data') {
    lines.push('is_coding_round_required: true', `selected_coding_language: ${pick(CODING)}`);
    lines.push('coding_exercise_details: >-', '  Implement a small service with tests; discuss trade-offs in error handling and performance.');
  }
  if (r() < 0.3) lines.push('is_proctoring_required: false');
  return `${lines.join('\n')}\n`;
}

export function generateProject(root, count) {
  mkdirSync(path.join(root, 'interviews/_shared'), { recursive: true });
  for (const team of TEAMS) {
    mkdirSync(path.join(root, 'interviews', team), { recursive: true });
    writeFileSync(path.join(root, `interviews/_shared/${team}.yaml`), `is_proctoring_required: true\ncan_change_interview_language: false\n`);
  }
  for (let i = 0; i < count; i++) writeFileSync(fileOf(root, i), definitionText(i));
  writeFileSync(path.join(root, 'micro1.config.json'), '{}\n');
}

export function fileOf(root, i) {
  return path.join(root, 'interviews', TEAMS[i % TEAMS.length], `role-${String(i).padStart(5, '0')}.yaml`);
}
